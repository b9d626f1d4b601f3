/**
 * Figure: open turns. TURNS users each send a message; the emulator answers every /run_sse with
 * heartbeats only (one every 5 s, as the real gateway does), so ONE worker process (ROLE=worker,
 * WORKER_CONCURRENCY=TURNS, the compiled image) holds TURNS turns open. Measured inside that
 * process: peak RSS over the whole run (the ramp included), CPU over a hold window once every turn
 * is open and its "Thinking…" message is out, and RSS after a full GC, idle and holding.
 *
 * Baseline, same run and same emulator: TURNS bare undici streams (bare-streams-child.ts: one
 * `request()` each, body read and dropped, nothing else) in a process of their own, measured the
 * same way. KB per turn = (RSS after GC holding − RSS after GC idle) ÷ TURNS, for both.
 */
import { fileURLToPath } from "node:url";
import { makeSessions } from "./lib/emulator-sessions.js";
import { startChild } from "./lib/rpc.js";
import { round } from "./lib/stats.js";
import { baseEnv, Stack, sleep, waitUntil } from "./lib/stack.js";
import type { UsageNow, WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";

const TURNS = Number(process.env.BENCH_TURNS ?? 10_000);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 60_000);
const HEARTBEAT_MS = 5_000;
const FIRST_CHAT = 800_000;
const KB = 1024;

type Health = { openStreams: number };

export async function runOpenTurns(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("open-turns");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram();
    // The streams outlive the run and close on their own some minutes after it.
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 5, heartbeatMs: HEARTBEAT_MS, heartbeatOnlyMs: 30 * 60_000 } });
    await emulator.call("faults", [{ kind: "heartbeat-only", times: 2 * TURNS }]);
    const openAtEmulator = async () => (await emulator.call<Health>("health")).openStreams;

    // Baseline: bare undici streams to the same emulator.
    const sessions = await makeSessions(emulator.info.url, TURNS, "bare");
    const bare = stack.track(
      await startChild<unknown>({ name: "bare-streams", file: fileURLToPath(new URL("./lib/bare-streams-child.ts", import.meta.url)), args: [emulator.info.url], nodeFlags: ["--expose-gc"], env: baseEnv(), logDir: stack.logDir }),
    );
    await sleep(2_000);
    const bareIdle = await bare.call<UsageNow>("gc");
    await bare.call("windowStart", { name: "all", everyMs: 250 });
    await bare.call("open", sessions, 600_000);
    await sleep(HEARTBEAT_MS);
    await bare.call("windowStart", { name: "hold", everyMs: 250 });
    await sleep(HOLD_MS);
    const bareHold = await bare.call<WindowReport>("windowStop", { name: "hold" });
    const bareAll = await bare.call<WindowReport>("windowStop", { name: "all" });
    const bareHeld = await bare.call<UsageNow>("gc");
    await bare.kill();
    await waitUntil("the bare streams closed at the emulator", async () => (await openAtEmulator()) === 0 || undefined, 60_000, 500);

    const env = stack.appEnv(fake.info, emulator.info.url);
    const worker = await stack.startApp("worker", { ...env, ROLE: "worker", WORKER_CONCURRENCY: String(TURNS) }, [], ["--expose-gc"]);
    const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });
    await sleep(5_000);
    await worker.call("windowStart", { name: "idle", everyMs: 250 });
    await sleep(10_000);
    const idleWindow = await worker.call<WindowReport>("windowStop", { name: "idle" });
    const idle = await worker.call<UsageNow>("gc");

    await worker.call("windowStart", { name: "all", everyMs: 250 });
    const t0 = Date.now();
    await fake.call("send", Array.from({ length: TURNS }, (_, i) => ({ chatId: FIRST_CHAT + i, text: `make a calm version of my video (${i})` })));
    await waitUntil(`${TURNS} open turns at the emulator`, async () => (await openAtEmulator()) >= TURNS || undefined, 900_000, 500);
    const openAfterMs = Date.now() - t0;
    // Each turn's first status message goes at Telegram's pace (30 a second for the bot): the hold
    // is measured once they are all out, so it is the steady state of TURNS open turns.
    const statusSent = async () => Object.keys(await fake.call<Record<string, number[]>>("sentMessages")).length;
    await waitUntil("every turn's status message posted", async () => (await statusSent()) >= TURNS || undefined, 900_000, 1_000);
    const statusAfterMs = Date.now() - t0;
    await sleep(HEARTBEAT_MS);
    await worker.call("windowStart", { name: "hold", everyMs: 250 });
    await sleep(HOLD_MS);
    const hold = await worker.call<WindowReport>("windowStop", { name: "hold" });
    const all = await worker.call<WindowReport>("windowStop", { name: "all" });
    const held = await worker.call<UsageNow>("gc");
    const stillOpen = await openAtEmulator();
    await bot.kill();
    // A worker holding thousands of streams would wait out its shutdown grace: this one is done.
    await worker.kill();

    const perTurnKb = ((held.rssMb - idle.rssMb) * KB) / TURNS;
    const perStreamKb = ((bareHeld.rssMb - bareIdle.rssMb) * KB) / TURNS;
    const heapPerTurnKb = ((held.heapUsedMb - idle.heapUsedMb) * KB) / TURNS;
    const heapPerStreamKb = ((bareHeld.heapUsedMb - bareIdle.heapUsedMb) * KB) / TURNS;
    const n = TURNS.toLocaleString("en");
    return {
      setup: [
        `${n} users send one message each through the fake Bot API → bot process (ROLE=bot) → queue → ONE worker process (ROLE=worker, WORKER_CONCURRENCY=${TURNS}, production defaults otherwise; compiled JavaScript as in the Docker image, started with --expose-gc).`,
        `The emulator (own process) answers every /run_sse with heartbeats only, one every ${HEARTBEAT_MS / 1000} s: all ${n} turns were open at the emulator ${round(openAfterMs / 1000, 1)} s after the messages were sent; every "Thinking…" status message was out after ${round(statusAfterMs / 1000, 1)} s (Telegram's 30 messages a second for the bot); ${stillOpen} were still open after the ${HOLD_MS / 1000} s hold.`,
        `Peak RSS: sampled every 250 ms inside the worker from the messages' arrival to the end of the hold. CPU: process.cpuUsage over the hold. KB per turn: (RSS after a full GC holding − RSS after a full GC idle) ÷ ${n}.`,
        `Baseline: ${n} bare undici streams to the same emulator (one request() each, bodyTimeout 0, the body read and dropped) in a process of their own, measured the same way before the worker started.`,
      ],
      metrics: [
        metric({ name: `worker peak RSS, ${n} open turns (ramp included)`, value: round(all.peakRssMb), unit: "MB", baseline: round(idleWindow.peakRssMb), baselineLabel: "the worker idle", target: "≤ 400 MB", passIf: (v) => v <= 400 }),
        metric({ name: `worker CPU holding ${n} open turns`, value: round(hold.cpuPercent, 1), unit: "% of a core", baseline: round(bareHold.cpuPercent, 1), baselineLabel: "bare streams", target: "≤ 25% of a core", passIf: (v) => v <= 25 }),
        metric({ name: "RSS per open turn (after GC)", value: round(perTurnKb, 1), unit: "KB", baseline: round(perStreamKb, 1), baselineLabel: "per bare undici stream", target: "≤ 2× the bare stream", passIf: (_v, r) => (r ?? Infinity) <= 2 }),
        metric({ name: "live JS heap per open turn (after GC)", value: round(heapPerTurnKb, 1), unit: "KB", baseline: round(heapPerStreamKb, 1), baselineLabel: "per bare undici stream" }),
        metric({ name: "bare streams' peak RSS (the baseline process)", value: round(bareAll.peakRssMb), unit: "MB", baseline: round(bareIdle.rssMb), baselineLabel: "idle" }),
        metric({ name: `all ${n} turns open at the emulator after the messages were sent`, value: round(openAfterMs / 1000, 1), unit: "s" }),
      ],
      notes: [
        `Worker: RSS after GC ${round(idle.rssMb)} MB idle → ${round(held.rssMb)} MB holding; V8 heap used ${round(idle.heapUsedMb)} → ${round(held.heapUsedMb)} MB of ${round(idle.heapTotalMb)} → ${round(held.heapTotalMb)} MB reserved. Bare streams: RSS ${round(bareIdle.rssMb)} → ${round(bareHeld.rssMb)} MB, heap used ${round(bareIdle.heapUsedMb)} → ${round(bareHeld.heapUsedMb)} MB of ${round(bareIdle.heapTotalMb)} → ${round(bareHeld.heapTotalMb)} MB.`,
        `What an open turn holds besides its socket (heap snapshots, \`npx tsx bench/lib/heap-summary.ts\`): its suspended async frames (the drainer job → runTurn → withSession → sendOnce → consume → streamTurn, ~5 KB), the BullMQ job and its data, the mailbox envelope, the status message, the SSE parser's closures, two or three timers and AbortControllers.`,
      ],
    };
  } finally {
    await stack.close();
  }
}
