/**
 * Figure: scale-out. 1, 2 and 4 worker processes (ROLE=worker, default settings but
 * RENDER_POLL_MS=1000) on one Redis, each count on a fresh stack:
 * - turns per second: TURNS users each send one message (the emulator answers each turn in a few
 *   steps); rate = TURNS ÷ (last answer posted − messages sent);
 * - polled renders per second: RENDERS exports whose renders run far longer than the window, so
 *   every worker only polls; rate = the emulator's render-status requests per second over WINDOW_MS
 *   once every render has started. Demand: RENDERS polls a second (one per render per second).
 * Telegram's limits are per bot, not per worker: here the fake and the bot's own limiter run them a
 * hundred times faster (TELEGRAM_TIME_SCALE=0.01), so the figure measures the workers, not Telegram.
 * Baseline: the same figures with one worker process, same run.
 */
import { Stack, sleep, waitUntil } from "./lib/stack.js";
import { makeDrafts } from "./lib/drafts.js";
import { round } from "./lib/stats.js";
import { metric, type Metric } from "./report.js";

const TURNS = Number(process.env.BENCH_SCALE_TURNS ?? 1000);
const RENDERS = Number(process.env.BENCH_SCALE_RENDERS ?? 1000);
const WINDOW_MS = 20_000;
const TIME_SCALE = 0.01;
const COUNTS = (process.env.BENCH_SCALE_WORKERS ?? "1,2,4").split(",").map(Number);

interface Measured {
  workers: number;
  turnsPerSecond: number;
  pollsPerSecond: number;
  cpuPercent: number[];
}

async function measure(workers: number): Promise<Measured> {
  const stack = new Stack(`scale-out-${workers}`);
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram({ timeScale: TIME_SCALE });
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 20, heartbeatMs: 5_000, renderMs: 10 * 60_000 } });
    const env = stack.appEnv(fake.info, emulator.info.url, { RENDER_POLL_MS: "1000", TELEGRAM_TIME_SCALE: String(TIME_SCALE) });
    await makeDrafts(env, stack.redisClient(), RENDERS, 300_000);
    const procs = [];
    for (let i = 0; i < workers; i++) procs.push(await stack.startApp(`worker-${i}`, { ...env, ROLE: "worker" }));
    await stack.startApp("bot", { ...env, ROLE: "bot" });
    await sleep(2_000);
    for (const p of procs) await p.call("windowStart", { name: "run", everyMs: 1000 });

    // Turns: done once the answer (the chat's second message after "Thinking…") is posted.
    const t0 = Date.now();
    await fake.call("send", Array.from({ length: TURNS }, (_, i) => ({ chatId: 100_000 + i, text: `add the title "Scale ${i}"` })));
    let lastAnswer = 0;
    await waitUntil(
      `${TURNS} turns answered`,
      async () => {
        const sent = await fake.call<Record<string, number[]>>("sentMessages");
        const answered = Object.entries(sent).filter(([chat, times]) => Number(chat) >= 100_000 && Number(chat) < 100_000 + TURNS && times.length >= 2);
        if (answered.length < TURNS) return undefined;
        lastAnswer = Math.max(...answered.map(([, times]) => times[1] ?? 0));
        return true;
      },
      600_000,
      500,
    );
    const turnsPerSecond = TURNS / ((lastAnswer - t0) / 1000);

    // Renders: all started, then only polls.
    await fake.call("send", Array.from({ length: RENDERS }, (_, i) => ({ chatId: 300_000 + i, text: "/export" })));
    await waitUntil(`${RENDERS} renders started`, async () => ((await emulator.call<{ renders: number }>("counters")).renders >= RENDERS ? true : undefined), 600_000, 500);
    await sleep(3_000);
    const before = await emulator.call<{ requests: { renderStatus: number } }>("counters");
    const w0 = Date.now();
    await sleep(WINDOW_MS);
    const after = await emulator.call<{ requests: { renderStatus: number } }>("counters");
    const pollsPerSecond = (after.requests.renderStatus - before.requests.renderStatus) / ((Date.now() - w0) / 1000);
    const cpuPercent: number[] = [];
    for (const p of procs) cpuPercent.push((await p.call<{ cpuPercent: number }>("windowStop", { name: "run" })).cpuPercent);
    return { workers, turnsPerSecond, pollsPerSecond, cpuPercent };
  } finally {
    await stack.close();
  }
}

export async function runScaleOut(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const results: Measured[] = [];
  for (const count of COUNTS) results.push(await measure(count));
  const one = results.find((r) => r.workers === 1) ?? results[0];
  const metrics: Metric[] = [];
  for (const r of results) {
    metrics.push(metric({ name: `turns per second, ${r.workers} worker process${r.workers > 1 ? "es" : ""}`, value: round(r.turnsPerSecond, 1), unit: "turns/s", ...(one && r !== one ? { baseline: round(one.turnsPerSecond, 1), baselineLabel: "1 worker" } : {}) }));
  }
  for (const r of results) {
    metrics.push(metric({ name: `polled renders per second, ${r.workers} worker process${r.workers > 1 ? "es" : ""}`, value: round(r.pollsPerSecond), unit: "polls/s", ...(one && r !== one ? { baseline: round(one.pollsPerSecond), baselineLabel: "1 worker" } : {}) }));
  }
  return {
    setup: [
      `For 1, 2 and 4 worker processes (ROLE=worker, default settings, RENDER_POLL_MS=1000), each count on a fresh stack with one redis-server: ${TURNS.toLocaleString("en")} users send one message each (turns/s = ${TURNS} ÷ time to the last answer posted); then ${RENDERS.toLocaleString("en")} users export drafts whose renders outlast the window, so the workers only poll (polls/s = the emulator's render-status requests over ${WINDOW_MS / 1000} s; demand ${RENDERS}/s).`,
      `Telegram's limits belong to the bot, not to a worker, so the fake and the bot's own limiter ran them ${1 / TIME_SCALE}× faster here: the figure is about the workers. Baseline: one worker process, same run.`,
      "Redis Cluster: not measured in this figure (the cluster's own suite runs in npm test).",
    ],
    metrics,
    notes: [
      `Worker CPU over each run, % of a core per process: ${results.map((r) => `${r.workers}: [${r.cpuPercent.map((c) => round(c)).join(", ")}]`).join("; ")}. This machine has 2 cores shared by every process of the stack (bot, emulator, fake Telegram, redis-server): more worker processes than free cores cannot scale.`,
    ],
  };
}
