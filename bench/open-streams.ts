/**
 * Figure 2, open streams: 1,000 users each send a message; the emulator answers every /run_sse with
 * heartbeats only (the `heartbeat-only` fault, a heartbeat every 5 s as the real gateway does), so
 * one worker process (ROLE=worker, WORKER_CONCURRENCY=1000) holds 1,000 turns open. Over 60 s we
 * sample that process's resident memory and CPU time from inside it.
 *
 * Baseline, same run: the same worker process idle, before any message arrived. The messages come
 * through the fake Bot API and a bot process (ROLE=bot), so we also get the time from an update
 * being handed to the bot to the turn's first status message ("Thinking…") under that load.
 */
import { percentile, round } from "./lib/stats.js";
import { Stack, sleep, waitUntil } from "./lib/stack.js";
import type { WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 60_000);
const IDLE_MS = 10_000;
const HEARTBEAT_MS = 5_000;
const FIRST_CHAT = 800_000;

export async function runOpenStreams(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("open-streams");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram();
    // The streams outlive the hold, and close on their own soon after it.
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 5, heartbeatMs: HEARTBEAT_MS, heartbeatOnlyMs: HOLD_MS + 120_000 } });
    await emulator.call("faults", [{ kind: "heartbeat-only", times: STREAMS }]);
    const env = stack.appEnv(fake.info, emulator.info.url);
    const worker = await stack.startApp("worker", { ...env, ROLE: "worker", WORKER_CONCURRENCY: String(STREAMS) });
    const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });

    // Baseline: the worker idle (connected to Redis, waiting for jobs).
    await sleep(2_000);
    await worker.call("windowStart", { name: "idle", everyMs: 250 });
    await sleep(IDLE_MS);
    const idle = await worker.call<WindowReport>("windowStop", { name: "idle" });

    const users = Array.from({ length: STREAMS }, (_, i) => ({ chatId: FIRST_CHAT + i, text: `make a calm version of my video (${i})` }));
    const t0 = Date.now();
    const updateIds = await fake.call<number[]>("send", users);
    await waitUntil(
      `${STREAMS} open streams at the emulator`,
      async () => ((await emulator.call<{ openStreams: number }>("health")).openStreams >= STREAMS ? true : undefined),
      180_000,
      250,
    );
    const openAfterMs = Date.now() - t0;
    // Let the start-up work (tokens, sessions, status messages) settle before the window.
    await sleep(2_000);
    await worker.call("windowStart", { name: "hold", everyMs: 250 });
    await sleep(HOLD_MS);
    const hold = await worker.call<WindowReport>("windowStop", { name: "hold" });
    const stillOpen = (await emulator.call<{ openStreams: number }>("health")).openStreams;

    // Time to first status message, for the same users: update handed to the bot → "Thinking…" posted.
    const { deliveredAt } = await fake.call<{ deliveredAt: Record<string, number> }>("deliveries", updateIds);
    const sent = await fake.call<Record<string, number[]>>("sentMessages");
    const toStatus: number[] = [];
    updateIds.forEach((id, i) => {
      const delivered = deliveredAt[id];
      const first = sent[String(FIRST_CHAT + i)]?.[0];
      if (delivered !== undefined && first !== undefined) toStatus.push(first - delivered);
    });
    await bot.kill();
    // A worker holding 1,000 streams would wait out its 25 s shutdown grace: this one is done.
    await worker.kill();

    return {
      setup: [
        `${STREAMS} users send one message each through the fake Bot API → bot process (ROLE=bot) → queue → one worker process (ROLE=worker, WORKER_CONCURRENCY=${STREAMS}, production defaults otherwise).`,
        `The emulator (its own process) answers each /run_sse with heartbeats only, one every ${HEARTBEAT_MS / 1000} s, so the ${STREAMS} turns stay open; all ${STREAMS} were open ${round(openAfterMs / 1000)} s after the messages were sent; ${stillOpen} were still open after the ${HOLD_MS / 1000} s window.`,
        `RSS sampled every 250 ms and CPU time (process.cpuUsage) taken inside the worker over the ${HOLD_MS / 1000} s window. Baseline: the same worker process idle for ${IDLE_MS / 1000} s before any message.`,
      ],
      metrics: [
        metric({ name: "worker peak RSS, 1,000 open turns", value: round(hold.peakRssMb), unit: "MB", baseline: round(idle.peakRssMb), baselineLabel: "idle", target: "≤ 300 MB", passIf: (v) => v <= 300 }),
        metric({ name: "worker mean RSS, 1,000 open turns", value: round(hold.meanRssMb), unit: "MB", baseline: round(idle.meanRssMb), baselineLabel: "idle" }),
        metric({ name: "worker CPU, 1,000 open turns", value: round(hold.cpuPercent, 2), unit: "% of a core", baseline: round(idle.cpuPercent, 2), baselineLabel: "idle", target: "≤ 15% of a core", passIf: (v) => v <= 15 }),
        metric({ name: "worker peak heap used", value: round(hold.peakHeapUsedMb), unit: "MB", baseline: round(idle.peakHeapUsedMb), baselineLabel: "idle" }),
        metric({ name: "p50 update → first status message", value: percentile(toStatus, 50), unit: "ms" }),
        metric({ name: "p99 update → first status message", value: percentile(toStatus, 99), unit: "ms" }),
      ],
      notes: [
        `Time to the first status message covers the whole path for a new user under a burst of ${STREAMS}: bot routing, queue, worker pick-up, a new anonymous NemoVideo token and session, then the status post (${toStatus.length} of ${STREAMS} timed).`,
      ],
    };
  } finally {
    await stack.close();
  }
}
