/**
 * Figure: scale-out. 1, 2 and 4 worker processes (ROLE=worker, default settings but
 * RENDER_POLL_MS=1000), on one redis-server and on a local Redis Cluster of three primaries (as the
 * `cluster` test project starts it), each count on a fresh stack:
 * - turns per second: TURNS users each send one message (the emulator answers each turn in a few
 *   20 ms steps); rate = 95 % of TURNS ÷ (the answer that completes 95 % − messages sent). The last
 *   few per cent are left out of the rate and counted apart: a turn whose answer could not be posted
 *   (a dropped connection to the fake) goes to recovery, which reads the state for minutes before it
 *   answers (never re-sending the message), and would make the figure about that.
 * - polled renders per second: RENDERS exports whose renders run far longer than the window, so
 *   every worker only polls; rate = the emulator's render-status requests per second over WINDOW_MS
 *   once every render has started. Demand: RENDERS polls a second (one per render per second).
 * CPU of every process of the stack (workers, bot, emulator, fake Telegram, redis-server(s)) is
 * measured over each part, to show what bounds the rate on this machine.
 * Telegram's limits are per bot, not per worker: here the fake and the bot's own limiter run them a
 * hundred times faster (TELEGRAM_TIME_SCALE=0.01), so the figure measures the workers, not Telegram.
 * Baseline: the same figures with one worker process on the same Redis, same run.
 */
import { loadavg } from "node:os";
import { connectRedis, primariesOf, type RedisClient } from "../src/redis/client.js";
import { parseClusterNodes } from "../src/redis/cluster-nodes.js";
import { Stack, sleep, waitUntil } from "./lib/stack.js";
import { makeDrafts } from "./lib/drafts.js";
import { procUsage } from "./lib/proc.js";
import type { ChildHandle } from "./lib/rpc.js";
import { round } from "./lib/stats.js";
import type { WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";

const TURNS = Number(process.env.BENCH_SCALE_TURNS ?? 1000);
/** Demand: RENDERS polls a second, above what one worker process polls on these 2 cores (~1,700/s at a load of 9). */
const RENDERS = Number(process.env.BENCH_SCALE_RENDERS ?? 3000);
const WINDOW_MS = 15_000;
const TIME_SCALE = 0.01;
/** The share of turns the rate is measured on (see above). */
const TURN_SHARE = 0.95;
/** How long the last turns may take after 95 % are answered before the figure moves on. */
const STRAGGLERS_MS = 20_000;
const COUNTS = (process.env.BENCH_SCALE_WORKERS ?? "1,2,4").split(",").map(Number);
type RedisKind = "single" | "cluster";
const KINDS = (process.env.BENCH_SCALE_REDIS ?? "single,cluster").split(",") as RedisKind[];
const FIRST_TURN_CHAT = 100_000;
const FIRST_RENDER_CHAT = 300_000;

interface Cpu {
  workers: number[];
  bot: number;
  emulator: number;
  fake: number;
  /** Each redis-server of the stack (three primaries on the cluster), % of one core. */
  redis: number[];
}

interface Measured {
  redis: RedisKind;
  workers: number;
  turnsPerSecond: number;
  turnsAnsweredLate: number;
  pollsPerSecond: number;
  turnsCpu: Cpu;
  pollsCpu: Cpu;
  load1: number;
}

const SPELLED: Record<RedisKind, string> = { single: "one redis-server", cluster: "a 3-primary Redis Cluster" };

/** The pids of the stack's redis-server processes (a cluster's primaries report their own). */
async function redisPids(stack: Stack, client: RedisClient): Promise<number[]> {
  if (stack.redis) return [stack.redis.process.pid ?? 0];
  const pids: number[] = [];
  for (const node of primariesOf(client)) pids.push(Number(/process_id:(\d+)/.exec(await node.info("server"))?.[1] ?? 0));
  return pids;
}

/** CPU of every process over one part of the run: windows in the Node children, /proc for Redis. */
async function cpuWindow(children: { workers: ChildHandle[]; bot: ChildHandle; emulator: ChildHandle; fake: ChildHandle }, pids: number[], name: string) {
  const all = [...children.workers, children.bot, children.emulator, children.fake];
  for (const child of all) await child.call("windowStart", { name, everyMs: 1000 });
  const redisBefore = pids.map((pid) => procUsage(pid));
  return async (): Promise<Cpu> => {
    const stop = async (child: ChildHandle) => (await child.call<WindowReport>("windowStop", { name })).cpuPercent;
    const redisAfter = pids.map((pid) => procUsage(pid));
    const redis = redisAfter.map((after, i) => {
      const before = redisBefore[i];
      return before && after.at > before.at ? ((after.cpuMs - before.cpuMs) / (after.at - before.at)) * 100 : Number.NaN;
    });
    const workers: number[] = [];
    for (const w of children.workers) workers.push(await stop(w));
    return { workers, bot: await stop(children.bot), emulator: await stop(children.emulator), fake: await stop(children.fake), redis };
  };
}

async function measure(kind: RedisKind, workers: number): Promise<Measured> {
  const stack = new Stack(`scale-out-${kind}-${workers}`);
  try {
    if (kind === "cluster") await stack.startRedisCluster();
    else await stack.startRedis();
    const fake = await stack.startFakeTelegram({ timeScale: TIME_SCALE });
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 20, heartbeatMs: 5_000, renderMs: 10 * 60_000 } });
    const env = stack.appEnv(fake.info, emulator.info.url, { RENDER_POLL_MS: "1000", TELEGRAM_TIME_SCALE: String(TIME_SCALE) });
    const seeds = stack.cluster ? parseClusterNodes(stack.cluster.seeds) : undefined;
    if (seeds && "problems" in seeds) throw new Error(seeds.problems.join("; "));
    const client = connectRedis(seeds ? { cluster: seeds } : (env.REDIS_URL ?? ""), "worker");
    try {
      await makeDrafts(env, client, RENDERS, FIRST_RENDER_CHAT);
      const pids = await redisPids(stack, client);
      const procs: ChildHandle[] = [];
      for (let i = 0; i < workers; i++) procs.push(await stack.startApp(`worker-${i}`, { ...env, ROLE: "worker" }));
      const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });
      const children = { workers: procs, bot, emulator, fake };
      await sleep(2_000);

      // Turns: answered once the answer (the chat's second message after "Thinking…") is posted.
      const turnsCpu = await cpuWindow(children, pids, "turns");
      const t0 = Date.now();
      await fake.call("send", Array.from({ length: TURNS }, (_, i) => ({ chatId: FIRST_TURN_CHAT + i, text: `add the title "Scale ${i}"` })));
      const needed = Math.ceil(TURNS * TURN_SHARE);
      let answers: number[] = [];
      const answered = async () => {
        const sent = await fake.call<Record<string, number[]>>("sentMessages");
        answers = Object.entries(sent)
          .filter(([chat, times]) => Number(chat) >= FIRST_TURN_CHAT && Number(chat) < FIRST_TURN_CHAT + TURNS && times.length >= 2)
          .map(([, times]) => times[1] ?? 0)
          .sort((a, b) => a - b);
        return answers.length;
      };
      await waitUntil(`${needed} of ${TURNS} turns answered`, async () => (await answered()) >= needed, 300_000, 250);
      const turnsCpuResult = await turnsCpu();
      const turnsPerSecond = needed / (((answers[needed - 1] ?? Number.NaN) - t0) / 1000);
      // The last few, for the count of turns that went to recovery (not part of the rate).
      const shareAt = Date.now();
      await waitUntil("the last turns", async () => (await answered()) >= TURNS || Date.now() - shareAt > STRAGGLERS_MS, STRAGGLERS_MS + 60_000, 500);

      // Renders: all started, then only polls.
      await fake.call("send", Array.from({ length: RENDERS }, (_, i) => ({ chatId: FIRST_RENDER_CHAT + i, text: "/export" })));
      await waitUntil(`${RENDERS} renders started`, async () => ((await emulator.call<{ renders: number }>("counters")).renders >= RENDERS ? true : undefined), 300_000, 500);
      await sleep(3_000);
      const pollsCpu = await cpuWindow(children, pids, "polls");
      const before = await emulator.call<{ requests: { renderStatus: number } }>("counters");
      const w0 = Date.now();
      await sleep(WINDOW_MS);
      const after = await emulator.call<{ requests: { renderStatus: number } }>("counters");
      const pollsPerSecond = (after.requests.renderStatus - before.requests.renderStatus) / ((Date.now() - w0) / 1000);
      const pollsCpuResult = await pollsCpu();
      return { redis: kind, workers, turnsPerSecond, turnsAnsweredLate: TURNS - answers.length, pollsPerSecond, turnsCpu: turnsCpuResult, pollsCpu: pollsCpuResult, load1: round(loadavg()[0] ?? 0, 1) };
    } finally {
      client.disconnect();
    }
  } finally {
    await stack.close();
  }
}

const plural = (n: number) => `${n} worker process${n > 1 ? "es" : ""}`;
const cpuText = (c: Cpu) =>
  `workers [${c.workers.map((x) => round(x)).join(", ")}], bot ${round(c.bot)}, emulator ${round(c.emulator)}, fake Telegram ${round(c.fake)}, redis [${c.redis.map((x) => round(x)).join(", ")}]; total ${round([...c.workers, c.bot, c.emulator, c.fake, ...c.redis].reduce((a, b) => a + b, 0))}`;

export async function runScaleOut(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const results: Measured[] = [];
  for (const kind of KINDS) for (const count of COUNTS) results.push(await measure(kind, count));
  const metrics: Metric[] = [];
  for (const kind of KINDS) {
    const mine = results.filter((r) => r.redis === kind);
    const one = mine.find((r) => r.workers === 1);
    const vsOne = (r: Measured, value: (m: Measured) => number) => (one && r !== one ? { baseline: round(value(one), 1), baselineLabel: `1 worker, ${SPELLED[kind]}` } : {});
    for (const r of mine) metrics.push(metric({ name: `turns per second, ${plural(r.workers)}, ${SPELLED[kind]}`, value: round(r.turnsPerSecond, 1), unit: "turns/s", ...vsOne(r, (m) => m.turnsPerSecond) }));
    for (const r of mine) metrics.push(metric({ name: `polled renders per second, ${plural(r.workers)}, ${SPELLED[kind]}`, value: round(r.pollsPerSecond), unit: "polls/s", ...vsOne(r, (m) => m.pollsPerSecond) }));
  }
  const late = results.reduce((sum, r) => sum + r.turnsAnsweredLate, 0);
  return {
    setup: [
      `For 1, 2 and 4 worker processes (ROLE=worker, default settings, RENDER_POLL_MS=1000), on ${SPELLED.single} and on ${SPELLED.cluster} (three local redis-server --cluster-enabled primaries, as the cluster test project starts them; the hash-tagged QUEUE_PREFIX puts every key in one slot), each count on a fresh stack with one bot process (ROLE=bot), the emulator and the fake Bot API.`,
      `Turns: ${TURNS.toLocaleString("en")} users send one message each; turns/s = ${Math.round(TURN_SHARE * 100)} % of them ÷ the time until that many answers were posted (the last few are counted apart, see the notes). Renders: ${RENDERS.toLocaleString("en")} users export drafts whose renders outlast the window, so the workers only poll; polls/s = the emulator's render-status requests over ${WINDOW_MS / 1000} s (demand ${RENDERS}/s).`,
      `Telegram's limits belong to the bot, not to a worker, so the fake and the bot's own limiter ran them ${1 / TIME_SCALE}× faster here: the figure is about the workers. Baseline: one worker process on the same Redis, same run. The ratio is the speed-up over one worker.`,
    ],
    metrics,
    notes: [
      ...results.map((r) => `${plural(r.workers)}, ${SPELLED[r.redis]} (load ${r.load1} after): CPU in % of one core while turns ran: ${cpuText(r.turnsCpu)}; while polling: ${cpuText(r.pollsCpu)}.`),
      (() => {
        const totals = results.flatMap((r) => [r.turnsCpu, r.pollsCpu]).map((c) => [...c.workers, c.bot, c.emulator, c.fake, ...c.redis].reduce((a, b) => a + b, 0));
        const loads = results.map((r) => r.load1);
        return `What bounds these rates on this machine: the stack's processes together used ${round(Math.min(...totals))}–${round(Math.max(...totals))} % of one core while the 1-minute load average was ${Math.min(...loads)}–${Math.max(...loads)} on 2 cores (other engineers' tests): every process spent most of its time waiting for a core, so each worker's CPU share shrinks as workers are added and the turn rates move with the machine's other work more than with the worker count. With free cores the ceiling is the 2 cores themselves, shared by the bot, the emulator, the fake Telegram server and Redis: more worker processes than free cores cannot scale linearly.`;
      })(),
      (() => {
        const polls = results.map((r) => r.pollsPerSecond);
        return `Polls: every count reached ${round(Math.min(...polls))}–${round(Math.max(...polls))} polls/s against a demand of ${RENDERS} renders each polled 1 s after its previous poll ended (at most ≈ ${RENDERS} ÷ (1 s + one poll's time)). When one worker already comes within a few per cent of that, the rate is the demand's, not the workers' ceiling, and the ratios cannot show scaling; one worker process's own ceiling is its RENDER_CONCURRENCY (32) render slots ÷ the time a poll step holds one. A higher demand (BENCH_SCALE_RENDERS) measures the ceiling.`;
      })(),
      "On the cluster every key is in one hash slot (the hash-tagged QUEUE_PREFIX, so BullMQ's and the mailboxes' multi-key scripts work), so one primary does all the queue's work (see redis CPU above) and the other two idle: a cluster adds failover, not throughput, for one bot's queues; several bots with prefixes of their own could land on other primaries.",
      `Turns not answered within ${STRAGGLERS_MS / 1000} s after ${Math.round(TURN_SHARE * 100)} % were (over all runs): ${late}. Before the Bot API clients closed idle kept-alive connections themselves (adapters/telegram/api.ts), such turns were ones whose answer failed to post with ECONNRESET on a connection the fake Bot API (Node's 5 s keep-alive) had just closed (22 of 300 turns in a trial; the first full run of this figure measured 1.3 turns/s for 4 workers because of them): each went to recovery (reads the state after RECOVERY_FIRST_WAIT_MS, 30 s, then every minute), which never re-sends the message.`,
    ],
  };
}
