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
 * measured over each part, to show what bounds the rate on this machine, with the scheduler's own
 * account of the stack's threads (time on a core, time waiting for one), the commands Redis ran and
 * the workers sent per turn and per poll, each worker's job steps and their slot time (its
 * --trace-steps), and where the queues' jobs stood (sampled every 250 ms).
 * Telegram's limits are per bot, not per worker: here the fake and the bot's own limiter run them a
 * hundred times faster (TELEGRAM_TIME_SCALE=0.01), so the figure measures the workers, not Telegram.
 * Baseline: the same figures with one worker process on the same Redis, same run.
 */
import { loadavg } from "node:os";
import { connectRedis, primariesOf, type RedisClient } from "../src/redis/client.js";
import { hashTagged, parseClusterNodes } from "../src/redis/cluster-nodes.js";
import { QUEUE_PREFIX, Stack, sleep, waitUntil } from "./lib/stack.js";
import { makeDrafts } from "./lib/drafts.js";
import { procSched, procUsage, type SchedUsage } from "./lib/proc.js";
import { commandStats, commandsBetween, perUnitText, sampleQueue, type QueueSample } from "./lib/redis-stats.js";
import type { ChildHandle } from "./lib/rpc.js";
import { round } from "./lib/stats.js";
import type { WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";
import { loadConfig } from "../src/config.js";

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
  /**
   * The whole stack's threads, from the scheduler (schedstat): time on a core and time ready to run
   * but waiting for one, each in % of one core over the window.
   */
  ranPercent: number;
  waitedPercent: number;
}

/** One worker process's job steps over a window, as its --trace-steps wrappers timed them. */
interface Traced {
  n: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
}

interface StepsSeen {
  /** Job steps each worker process ran (its share of the work). */
  steps: number[];
  /** Mean slot time of a step, each worker. */
  stepMs: number[];
  /** Mean time of the backend call inside it (render status), each worker; NaN for turns. */
  callMs: number[];
  /** Commands the worker processes sent to Redis (round trips, or parts of pipelines), by name, summed. */
  sent: Record<string, number>;
}

interface Measured {
  redis: RedisKind;
  workers: number;
  turnsPerSecond: number;
  turnsAnsweredLate: number;
  /** Turns the per-turn figures divide by (the 95 % share) and polls in the window. */
  turnsCounted: number;
  polls: number;
  pollsPerSecond: number;
  turnsCpu: Cpu;
  pollsCpu: Cpu;
  /** Redis commands per turn and per poll, by command. */
  turnsRedis: string;
  pollsRedis: string;
  turnsSteps: StepsSeen;
  pollsSteps: StepsSeen;
  /** Where the render queue's jobs stood while polling (means of samples). */
  renderQueue: QueueSample & { samples: number };
  /** Where the drainer jobs stood while turns ran. */
  sessionQueue: QueueSample & { samples: number };
  /** Bot API calls per turn while turns ran, and how many of them the fake refused (429). */
  telegram: TelegramPerTurn;
  load1: number;
}

/** Each worker's traced steps of one queue (and its backend call) since its last tracedReset. */
async function stepsOf(workers: ChildHandle[], queue: string, call: string): Promise<StepsSeen> {
  const seen: StepsSeen = { steps: [], stepMs: [], callMs: [], sent: {} };
  for (const worker of workers) {
    for (const [name, n] of Object.entries(await worker.call<Record<string, number>>("redisCalls"))) seen.sent[name] = (seen.sent[name] ?? 0) + n;
    const traced = await worker.call<Record<string, Traced>>("traced");
    const step = traced[`job step (${queue})`];
    seen.steps.push(step?.n ?? 0);
    seen.stepMs.push(step?.meanMs ?? Number.NaN);
    seen.callMs.push(traced[call]?.meanMs ?? Number.NaN);
  }
  return seen;
}

/** "4.1 Bot API calls (sendMessage 2.0, editMessageText 2.1…), 0.12 refused with 429" per turn. */
function telegramPerTurn(before: Record<string, number>, after: Record<string, number>, refusedBefore: Record<string, number>, refusedAfter: Record<string, number>, turns: number): TelegramPerTurn {
  const diff = (a: Record<string, number>, b: Record<string, number>) => Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)] as const).filter(([, v]) => v > 0);
  const calls = diff(before, after).filter(([method]) => method !== "getUpdates");
  const refused = diff(refusedBefore, refusedAfter).reduce((sum, [, v]) => sum + v, 0);
  const total = calls.reduce((sum, [, v]) => sum + v, 0);
  return {
    calls: total / turns,
    refused: refused / turns,
    text: `${(total / turns).toFixed(2)} Bot API calls (${calls.map(([k, v]) => `${k} ${(v / turns).toFixed(2)}`).join(", ")}), ${(refused / turns).toFixed(2)} refused with 429`,
  };
}

interface TelegramPerTurn {
  calls: number;
  refused: number;
  text: string;
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
  const stackPids = [...all.map((child) => child.pid), ...pids];
  const schedBefore = stackPids.map((pid) => procSched(pid));
  return async (): Promise<Cpu> => {
    const schedAfter = stackPids.map((pid) => procSched(pid));
    const wallMs = (schedAfter[0]?.at ?? 0) - (schedBefore[0]?.at ?? 0);
    const sum = (pick: (s: SchedUsage) => number) => schedAfter.reduce((total, after, i) => total + pick(after) - pick(schedBefore[i] ?? after), 0);
    const ranPercent = wallMs > 0 ? (sum((s) => s.runMs) / wallMs) * 100 : Number.NaN;
    const waitedPercent = wallMs > 0 ? (sum((s) => s.waitMs) / wallMs) * 100 : Number.NaN;
    const stop = async (child: ChildHandle) => (await child.call<WindowReport>("windowStop", { name })).cpuPercent;
    const redisAfter = pids.map((pid) => procUsage(pid));
    const redis = redisAfter.map((after, i) => {
      const before = redisBefore[i];
      return before && after.at > before.at ? ((after.cpuMs - before.cpuMs) / (after.at - before.at)) * 100 : Number.NaN;
    });
    const workers: number[] = [];
    for (const w of children.workers) workers.push(await stop(w));
    return { workers, bot: await stop(children.bot), emulator: await stop(children.emulator), fake: await stop(children.fake), redis, ranPercent, waitedPercent };
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
      for (let i = 0; i < workers; i++) procs.push(await stack.startApp(`worker-${i}`, { ...env, ROLE: "worker" }, ["--trace-steps"]));
      const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });
      const children = { workers: procs, bot, emulator, fake };
      await sleep(2_000);

      // Turns: answered once the answer (the chat's second message after "Thinking…") is posted.
      const turnsCpu = await cpuWindow(children, pids, "turns");
      for (const w of procs) await w.call("tracedReset");
      const turnsStatsBefore = await commandStats(client);
      const telegramBefore = await fake.call<Record<string, number>>("counts");
      const refusedBefore = await fake.call<Record<string, number>>("floodRefusals");
      const stopTurnSampling = sampleQueue(client, kind === "cluster" ? hashTagged(QUEUE_PREFIX) : QUEUE_PREFIX, "session-work");
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
      const sessionQueue = await stopTurnSampling();
      const telegram = telegramPerTurn(telegramBefore, await fake.call<Record<string, number>>("counts"), refusedBefore, await fake.call<Record<string, number>>("floodRefusals"), needed);
      const turnsCommands = commandsBetween(turnsStatsBefore, await commandStats(client));
      const turnsSteps = await stepsOf(procs, "session-work", "nemo.renderStatus");
      const turnsPerSecond = needed / (((answers[needed - 1] ?? Number.NaN) - t0) / 1000);
      // The last few, for the count of turns that went to recovery (not part of the rate).
      const shareAt = Date.now();
      await waitUntil("the last turns", async () => (await answered()) >= TURNS || Date.now() - shareAt > STRAGGLERS_MS, STRAGGLERS_MS + 60_000, 500);

      // Renders: all started, then only polls.
      await fake.call("send", Array.from({ length: RENDERS }, (_, i) => ({ chatId: FIRST_RENDER_CHAT + i, text: "/export" })));
      await waitUntil(`${RENDERS} renders started`, async () => ((await emulator.call<{ renders: number }>("counters")).renders >= RENDERS ? true : undefined), 300_000, 500);
      await sleep(3_000);
      const pollsCpu = await cpuWindow(children, pids, "polls");
      for (const w of procs) await w.call("tracedReset");
      const pollsStatsBefore = await commandStats(client);
      const stopSampling = sampleQueue(client, kind === "cluster" ? hashTagged(QUEUE_PREFIX) : QUEUE_PREFIX, "render");
      const before = await emulator.call<{ requests: { renderStatus: number } }>("counters");
      const w0 = Date.now();
      await sleep(WINDOW_MS);
      const after = await emulator.call<{ requests: { renderStatus: number } }>("counters");
      const polls = after.requests.renderStatus - before.requests.renderStatus;
      const pollsPerSecond = polls / ((Date.now() - w0) / 1000);
      const renderQueue = await stopSampling();
      const pollsCpuResult = await pollsCpu();
      const pollsCommands = commandsBetween(pollsStatsBefore, await commandStats(client));
      const pollsSteps = await stepsOf(procs, "render", "nemo.renderStatus");
      return {
        redis: kind,
        workers,
        turnsPerSecond,
        turnsAnsweredLate: TURNS - answers.length,
        turnsCounted: needed,
        polls,
        pollsPerSecond,
        turnsCpu: turnsCpuResult,
        pollsCpu: pollsCpuResult,
        turnsRedis: perUnitText(turnsCommands, needed),
        pollsRedis: perUnitText(pollsCommands, polls),
        turnsSteps,
        pollsSteps,
        renderQueue,
        sessionQueue,
        telegram,
        load1: round(loadavg()[0] ?? 0, 1),
      };
    } finally {
      client.disconnect();
    }
  } finally {
    await stack.close();
  }
}

/** The worker settings a process of this figure gets (the figure sets neither): the config's defaults. */
function configDefaults() {
  return loadConfig({ ROLE: "worker", REDIS_URL: "redis://127.0.0.1:6379", TELEGRAM_BOT_TOKEN: "1:x", NEMO_API_BASE: "http://127.0.0.1:1" });
}

const plural = (n: number) => `${n} worker process${n > 1 ? "es" : ""}`;
const cpuText = (c: Cpu) =>
  `workers [${c.workers.map((x) => round(x)).join(", ")}], bot ${round(c.bot)}, emulator ${round(c.emulator)}, fake Telegram ${round(c.fake)}, redis [${c.redis.map((x) => round(x)).join(", ")}]; total ${round([...c.workers, c.bot, c.emulator, c.fake, ...c.redis].reduce((a, b) => a + b, 0))}; the scheduler: the stack's threads ran ${round(c.ranPercent)} % and waited for a core ${round(c.waitedPercent)} %`;

const sentText = (sent: Record<string, number>, units: number, top = 10) => {
  const entries = Object.entries(sent).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${(total / units).toFixed(1)} sent (${entries.slice(0, top).map(([name, n]) => `${name} ${(n / units).toFixed(2)}`).join(", ")})`;
};
const stepsText = (s: StepsSeen, withCall: boolean, units: number) =>
  `per worker [${s.steps.join(", ")}] steps, mean slot time [${s.stepMs.map((x) => round(x, 1)).join(", ")}] ms` +
  (withCall ? `, of which the render-status call [${s.callMs.map((x) => round(x, 1)).join(", ")}] ms` : "") +
  `; the workers' commands to Redis per ${withCall ? "poll" : "turn"}: ${sentText(s.sent, units)}`;

/** The defaults (src/config.ts) the figure keeps: drainer and render slots per worker process. */
const { WORKER_CONCURRENCY: WORKER_SLOTS, RENDER_CONCURRENCY: RENDER_SLOTS } = configDefaults();
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const range = (xs: number[], digits = 0) => `${round(Math.min(...xs), digits)}–${round(Math.max(...xs), digits)}`;
/** ms of CPU per unit of work, from % of one core and units per second. */
const msPer = (percent: number, perSecond: number) => (percent / 100) * 1000 / perSecond;

/** What bounds the rates, computed from this run's own measurements (see the per-count notes). */
function boundNotes(results: Measured[]): string[] {
  const notes: string[] = [];
  for (const kind of KINDS) {
    const mine = results.filter((r) => r.redis === kind);
    if (mine.length === 0) continue;
    const each = (f: (r: Measured) => string) => mine.map((r) => `${r.workers}: ${f(r)}`).join("; ");
    const littles = each((r) => `${round(r.renderQueue.active)} active ÷ ${round(stepMean(r.pollsSteps), 1)} ms = ${round(r.renderQueue.active / (stepMean(r.pollsSteps) / 1000))}/s against ${round(r.pollsPerSecond)} measured`);
    const cpuPerPoll = each((r) => {
      const c = r.pollsCpu;
      return `workers ${round(msPer(sum(c.workers), r.pollsPerSecond), 2)}, Redis ${round(msPer(sum(c.redis), r.pollsPerSecond), 2)}, emulator ${round(msPer(c.emulator, r.pollsPerSecond), 2)} ms`;
    });
    const sched = each((r) => `ran ${round(r.pollsCpu.ranPercent)} %, waited ${round(r.pollsCpu.waitedPercent)} % (load ${r.load1})`);
    notes.push(
      `Polls on ${SPELLED[kind]}, what bounds them. Demand: in every count the render queue held ${range(mine.map((r) => r.renderQueue.wait))} renders due and waiting for a worker to fetch them, and ${range(mine.map((r) => r.renderQueue.overdue))} overdue in the delayed set (promotion keeps up), so the demand was above what the workers polled; a higher BENCH_SCALE_RENDERS would only lengthen that list. ` +
        `Slots: they were full (${mine.map((r) => `${round(r.renderQueue.active)} of ${RENDER_SLOTS * r.workers}`).join(", ")} active), so polls/s = busy slots ÷ the slot time of a poll step (by worker count, ${littles}). ` +
        `Adding workers added slots, and each step held its slot longer: ${mine.map((r) => round(stepMean(r.pollsSteps), 1)).join(" → ")} ms, the render-status HTTP call inside it too (${mine.map((r) => round(stepMean(r.pollsSteps, (x) => x.callMs), 1)).join(" → ")} ms), far more than the work per poll grew: CPU per poll (by worker count, ${cpuPerPoll}); ${range(mine.map((r) => sum(Object.values(r.pollsSteps.sent)) / r.polls), 1)} commands sent to Redis per poll by the workers: moveToActive, moveToDelayed, updateData, the markers' and the account's reads, the progress-turn script (each once or twice), and ${range(mine.map((r) => (r.pollsSteps.sent["hlen"] ?? 0) / r.polls), 2)} refreshes of the place-in-line sweep (its read of a session's line, HLEN and SREM; one process every 5 s, so more of them per poll as polls/s falls); none is a lock or a lease, and none in these windows was one process repeating another's periodic work. ` +
        `Nothing of ours serialises the workers; the machine does: the scheduler's own account (schedstat, every thread of the stack) while polling, by worker count: ${sched}. As workers were added the stack's threads waited for a core longer than they ran, and every hop of a poll (each Redis round trip, the emulator's answer) waits for a core first; redis-server, one thread through which every round trip of every worker passes, gets one thread's share of the 2 cores. So polls/s is the CPU the machine gave the stack ÷ the CPU a poll costs, and more worker processes than free cores cannot raise it.`,
    );
    const turnSched = each((r) => `ran ${round(r.turnsCpu.ranPercent)} %, waited ${round(r.turnsCpu.waitedPercent)} %`);
    notes.push(
      `Turns on ${SPELLED[kind]}: ` +
        (TURNS <= WORKER_SLOTS
          ? `the ${TURNS.toLocaleString("en")} turns fit in one worker process's slots (WORKER_CONCURRENCY ${WORKER_SLOTS}), so more processes bring only more CPU and parallel fetching: `
          : `the ${TURNS.toLocaleString("en")} turns are more than one worker process's slots (WORKER_CONCURRENCY ${WORKER_SLOTS}), so more processes bring more slots, more CPU and parallel fetching: `) +
        `drainers waiting for a worker to fetch them (BullMQ fetches one job per round trip in each process) averaged ${mine.map((r) => round(r.sessionQueue.wait)).join(" → ")}, shrinking with more workers as expected; ` +
        `the work per turn stayed put (≈${range(mine.map((r) => sum(Object.values(r.turnsSteps.sent)) / r.turnsCounted), 0)} commands sent to Redis by the workers) while a drainer's job step held its slot ${mine.map((r) => round(stepMean(r.turnsSteps) / 1000, 1)).join(" → ")} s on average, and the stack's threads waited for a core ${mine.map((r) => round(r.turnsCpu.waitedPercent / r.turnsCpu.ranPercent, 1)).join(" → ")} times as long as they ran (the scheduler while turns ran, by worker count: ${turnSched}). ` +
        `Telegram is not what bounds them: ${range(mine.map((r) => r.telegram.calls), 1)} Bot API calls per turn, ${range(mine.map((r) => r.telegram.refused), 2)} of them refused with 429.`,
    );
  }
  return notes;
}

/** The mean over all workers' steps (each worker's mean weighted by its steps). */
const stepMean = (s: StepsSeen, pick: (s: StepsSeen) => number[] = (x) => x.stepMs) => {
  const values = pick(s);
  const weights = s.steps.map((n, i) => (Number.isFinite(values[i]) ? n : 0));
  return sum(weights) > 0 ? sum(values.map((v, i) => (weights[i] ? v * (weights[i] ?? 0) : 0))) / sum(weights) : Number.NaN;
};

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
      ...results.map(
        (r) =>
          `${plural(r.workers)}, ${SPELLED[r.redis]} (load ${r.load1} after): CPU in % of one core while turns ran: ${cpuText(r.turnsCpu)}; while polling: ${cpuText(r.pollsCpu)}. ` +
          `Redis per turn: ${r.turnsRedis}; per poll: ${r.pollsRedis}. ` +
          `Turn steps: ${stepsText(r.turnsSteps, false, r.turnsCounted)}. Poll steps: ${stepsText(r.pollsSteps, true, r.polls)}. ` +
          `Telegram per turn: ${r.telegram.text}. ` +
          `Drainer queue while turns ran (mean of ${r.sessionQueue.samples} samples): ${round(r.sessionQueue.wait)} waiting for a worker, ${round(r.sessionQueue.active)} active, ${round(r.sessionQueue.delayed)} delayed. ` +
          `Render queue while polling (mean of ${r.renderQueue.samples} samples): ${round(r.renderQueue.wait)} waiting for a worker, ${round(r.renderQueue.active)} active, ${round(r.renderQueue.delayed)} delayed of which ${round(r.renderQueue.overdue)} overdue.`,
      ),
      ...boundNotes(results),
      "Earlier runs of this figure kept the cluster counts' Telegram limits in whatever Redis answered on localhost:6379, not in the stack's cluster (the bench's app child connected its limiter to REDIS_URL, which is unset on a cluster; bench/lib/app-child.ts now uses the process's own Redis): their cluster turn figures (189, 74 and 45 turns/s for 1, 2 and 4 workers) are not comparable with these.",
      "On the cluster every key is in one hash slot (the hash-tagged QUEUE_PREFIX, so BullMQ's and the mailboxes' multi-key scripts work), so one primary does all the queue's work (see redis CPU above) and the other two idle: a cluster adds failover, not throughput, for one bot's queues; several bots with prefixes of their own could land on other primaries.",
      `Turns not answered within ${STRAGGLERS_MS / 1000} s after ${Math.round(TURN_SHARE * 100)} % were (over all runs): ${late}. Before the Bot API clients closed idle kept-alive connections themselves (adapters/telegram/api.ts), such turns were ones whose answer failed to post with ECONNRESET on a connection the fake Bot API (Node's 5 s keep-alive) had just closed (22 of 300 turns in a trial; the first full run of this figure measured 1.3 turns/s for 4 workers because of them): each went to recovery (reads the state after RECOVERY_FIRST_WAIT_MS, 30 s, then every minute), which never re-sends the message.`,
    ],
  };
}
