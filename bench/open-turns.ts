/**
 * Figure: open turns. TURNS users each send a message; the emulator answers every /run_sse with
 * heartbeats only (one every 5 s, as the real gateway does), so ONE worker process (ROLE=worker, on
 * default settings, the compiled image) holds TURNS turns open: their streams are in the worker's
 * stream hub while their drainer jobs park, so no WORKER_CONCURRENCY is set to fit them. Measured inside that
 * process: peak RSS over the whole run (the ramp included), CPU over a hold window once every turn
 * is open and its "Thinking…" message is out, and RSS after a full GC, idle and holding.
 *
 * Baseline, same run and same emulator: TURNS bare undici streams (bare-streams-child.ts: one
 * `request()` each, body read and dropped, nothing else) in a process of their own, compiled like
 * the worker and measured the same way. KB per turn = (RSS after GC holding − RSS after GC idle) ÷
 * TURNS, for both. (Run under tsx, the baseline's idle state carried tsx's own young generation,
 * 16 MB, which it shrank during some holds and not others: its KB per stream swung between 8.8 and
 * 11.8 from run to run, and the ratio with it.)
 */
import { join } from "node:path";
import { compiledChild } from "./lib/build.js";
import { makeSessions } from "./lib/emulator-sessions.js";
import { startProfile, stopProfile } from "./lib/profiling.js";
import { startChild } from "./lib/rpc.js";
import { round } from "./lib/stats.js";
import { baseEnv, Stack, sleep, waitUntil } from "./lib/stack.js";
import type { UsageNow, WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";

const TURNS = Number(process.env.BENCH_TURNS ?? 10_000);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 60_000);
const HEARTBEAT_MS = 5_000;
const FIRST_CHAT = 800_000;
/** A folder: heap snapshots of both processes, idle and holding, for bench/lib/heap-summary.ts. */
const SNAPSHOT_DIR = process.env.BENCH_HEAP_DIR;
const KB = 1024;
/** A folder: allocation profiles of both processes over the hold (`allocProfileStart` in usage.ts). */
const ALLOC_DIR = process.env.BENCH_ALLOC_DIR;
/** Extra node flags for the worker and the bare streams' process alike (e.g. `--trace-gc`, or a V8 flag to try). */
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
/**
 * Telegram's limits a hundred times faster (fake and bot alike): at the real 30 messages a second the
 * 10,000 "Thinking…" messages alone take 5½ minutes, and the figure is about the worker holding turns.
 */
const TIME_SCALE = 0.01;

type Health = { openStreams: number };

export async function runOpenTurns(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("open-turns");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram({ timeScale: TIME_SCALE });
    // The streams outlive the run and close on their own some minutes after it.
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 5, heartbeatMs: HEARTBEAT_MS, heartbeatOnlyMs: 30 * 60_000 } });
    await emulator.call("faults", [{ kind: "heartbeat-only", times: 2 * TURNS }]);
    // A busy emulator holding thousands of streams may fail one health read: that read counts as none.
    const openAtEmulator = async () => (await emulator.call<Health>("health").catch(() => ({ openStreams: -1 }))).openStreams;

    // Baseline: bare undici streams to the same emulator.
    const sessions = await makeSessions(emulator.info.url, TURNS, "bare");
    const bare = stack.track(
      await startChild<unknown>({ name: "bare-streams", file: compiledChild("bare-streams-child"), args: [emulator.info.url], nodeFlags: ["--expose-gc", ...EXTRA_FLAGS], env: baseEnv(), logDir: stack.logDir }),
    );
    await sleep(2_000);
    const bareIdle = await bare.call<UsageNow>("gc");
    const bareIdleSettled = await bare.call<UsageNow>("gcSettled");
    const bareIdleSpaces = await bare.call<Record<string, { sizeMb: number; usedMb: number }>>("heapSpaces");
    if (SNAPSHOT_DIR) await bare.call("heapSnapshot", { path: join(SNAPSHOT_DIR, "bare-idle.heapsnapshot") }, 300_000);
    await bare.call("windowStart", { name: "all", everyMs: 250 });
    await bare.call("open", sessions, 600_000);
    await sleep(HEARTBEAT_MS);
    await bare.call("windowStart", { name: "hold", everyMs: 250 });
    if (ALLOC_DIR) await bare.call("allocProfileStart");
    await sleep(HOLD_MS);
    if (ALLOC_DIR) await bare.call("allocProfileStop", { path: join(ALLOC_DIR, "bare-hold.heapprofile") }, 300_000);
    const bareHold = await bare.call<WindowReport>("windowStop", { name: "hold" });
    const bareAll = await bare.call<WindowReport>("windowStop", { name: "all" });
    const bareHeld = await bare.call<UsageNow>("gc");
    const bareHeldSettled = await bare.call<UsageNow>("gcSettled");
    const bareHeldSpaces = await bare.call<Record<string, { sizeMb: number; usedMb: number }>>("heapSpaces");
    if (SNAPSHOT_DIR) await bare.call("heapSnapshot", { path: join(SNAPSHOT_DIR, "bare-held.heapsnapshot") }, 300_000);
    await bare.kill();
    await waitUntil("the bare streams closed at the emulator", async () => (await openAtEmulator()) === 0 || undefined, 60_000, 500);

    const env = stack.appEnv(fake.info, emulator.info.url, { TELEGRAM_TIME_SCALE: String(TIME_SCALE) });
    // Default settings: open streams hold no worker slot, so WORKER_CONCURRENCY need not fit them.
    const worker = await stack.startApp("worker", { ...env, ROLE: "worker" }, [], ["--expose-gc", ...EXTRA_FLAGS]);
    const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });
    await sleep(5_000);
    await worker.call("windowStart", { name: "idle", everyMs: 250 });
    await sleep(10_000);
    const idleWindow = await worker.call<WindowReport>("windowStop", { name: "idle" });
    const idle = await worker.call<UsageNow>("gc");
    const idleSettled = await worker.call<UsageNow>("gcSettled");
    const idleSpaces = await worker.call<Record<string, { sizeMb: number; usedMb: number }>>("heapSpaces");
    if (SNAPSHOT_DIR) await worker.call("heapSnapshot", { path: join(SNAPSHOT_DIR, "worker-idle.heapsnapshot") }, 300_000);

    await worker.call("windowStart", { name: "all", everyMs: 250 });
    const t0 = Date.now();
    await fake.call("send", Array.from({ length: TURNS }, (_, i) => ({ chatId: FIRST_CHAT + i, text: `make a calm version of my video (${i})` })));
    // Every turn open at the emulator, or no more opening for a minute (on a loaded machine some
    // turns fail or go to recovery): the figures are then per turn actually open, and a row says so.
    let openSeen = -1;
    let openSince = Date.now();
    const { open: openReached } = await waitUntil(
      `${TURNS} open turns at the emulator`,
      async () => {
        const open = await openAtEmulator();
        if (open > openSeen) {
          openSeen = open;
          openSince = Date.now();
        }
        return open >= TURNS || (openSeen > 0 && Date.now() - openSince > 60_000) ? { open: openSeen } : undefined;
      },
      900_000,
      500,
    );
    const openAfterMs = Date.now() - t0;
    // The hold is measured once every turn's "Thinking…" is out (or no more go out: a status line the
    // platform refused is given up, the turn goes on), so it is the steady state of TURNS open turns.
    const statusSent = async () => Object.keys(await fake.call<Record<string, number[]>>("sentMessages").catch(() => ({}))).length;
    let lastCount = -1;
    let still = 0;
    const { count: statusCount } = await waitUntil(
      "the turns' status messages posted",
      async () => {
        const count = Math.max(await statusSent(), lastCount);
        still = count === lastCount ? still + 1 : 0;
        lastCount = count;
        return count >= TURNS || still >= 10 ? { count } : undefined;
      },
      900_000,
      1_000,
    );
    const statusAfterMs = Date.now() - t0;
    await sleep(HEARTBEAT_MS);
    const openAtHold = await openAtEmulator();
    await worker.call("windowStart", { name: "hold", everyMs: 250 });
    if (ALLOC_DIR) await worker.call("allocProfileStart");
    await startProfile(worker);
    await sleep(HOLD_MS);
    const profile = await stopProfile(worker, stack.logDir);
    if (ALLOC_DIR) await worker.call("allocProfileStop", { path: join(ALLOC_DIR, "worker-hold.heapprofile") }, 300_000);
    const hold = await worker.call<WindowReport>("windowStop", { name: "hold" });
    const all = await worker.call<WindowReport>("windowStop", { name: "all" });
    const held = await worker.call<UsageNow>("gc");
    const heldSettled = await worker.call<UsageNow>("gcSettled");
    const heldSpaces = await worker.call<Record<string, { sizeMb: number; usedMb: number }>>("heapSpaces");
    if (SNAPSHOT_DIR) await worker.call("heapSnapshot", { path: join(SNAPSHOT_DIR, "worker-held.heapsnapshot") }, 600_000);
    const stillOpen = await openAtEmulator();
    await bot.kill();
    // A worker holding thousands of streams would wait out its shutdown grace: this one is done.
    await worker.kill();

    // Per turn actually held (all of them when the run went well).
    const heldTurns = openAtHold > 0 ? Math.min(openAtHold, TURNS) : TURNS;
    const perTurnKb = ((held.rssMb - idle.rssMb) * KB) / heldTurns;
    const perStreamKb = ((bareHeld.rssMb - bareIdle.rssMb) * KB) / TURNS;
    const settledPerTurnKb = ((heldSettled.rssMb - idleSettled.rssMb) * KB) / heldTurns;
    const settledPerStreamKb = ((bareHeldSettled.rssMb - bareIdleSettled.rssMb) * KB) / TURNS;
    // V8 reserves its young generation up to a fixed cap per process (32 MB here) when allocation
    // runs fast, whatever the number of streams: the bare process held 32 MB of it in one run and
    // 2 MB in the next, which moved its KB per stream from 13.7 to 8.5. Aside, the per-turn figures
    // compare what grows with the turns.
    const youngMb = (spaces: Record<string, { sizeMb: number }>) => spaces["new_space"]?.sizeMb ?? 0;
    const oldPerTurnKb = ((held.rssMb - idle.rssMb - (youngMb(heldSpaces) - youngMb(idleSpaces))) * KB) / heldTurns;
    const oldPerStreamKb = ((bareHeld.rssMb - bareIdle.rssMb - (youngMb(bareHeldSpaces) - youngMb(bareIdleSpaces))) * KB) / TURNS;
    const heapPerTurnKb = ((held.heapUsedMb - idle.heapUsedMb) * KB) / heldTurns;
    const heapPerStreamKb = ((bareHeld.heapUsedMb - bareIdle.heapUsedMb) * KB) / TURNS;
    const n = TURNS.toLocaleString("en");
    return {
      setup: [
        `${n} users send one message each through the fake Bot API → bot process (ROLE=bot) → queue → ONE worker process (ROLE=worker, production defaults, WORKER_CONCURRENCY included: an open turn's stream is read by the worker's stream hub while its drainer job parks, holding no slot; compiled JavaScript as in the Docker image, started with --expose-gc).`,
        `The emulator (own process) answers every /run_sse with heartbeats only, one every ${HEARTBEAT_MS / 1000} s: ${openReached.toLocaleString("en")} of the ${n} turns were open at the emulator ${round(openAfterMs / 1000, 1)} s after the messages were sent (${openAtHold.toLocaleString("en")} when the hold began; per-turn figures divide by that); ${statusCount} of the ${n} "Thinking…" status messages were out after ${round(statusAfterMs / 1000, 1)} s (Telegram's limits run ${1 / TIME_SCALE} times faster, in the fake and the bot alike, so the figure measures the worker, not Telegram's 30 messages a second); ${stillOpen} were still open after the ${HOLD_MS / 1000} s hold.`,
        `Peak RSS: sampled every 250 ms inside the worker from the messages' arrival to the end of the hold. CPU: process.cpuUsage over the hold. KB per turn: (RSS after a full GC holding − RSS after a full GC idle) ÷ ${n}.`,
        `Baseline: ${n} bare undici streams to the same emulator (one request() each, bodyTimeout 0, the body read and dropped) in a process of their own, compiled JavaScript like the worker, measured the same way before the worker started.`,
      ],
      metrics: [
        metric({ name: `worker peak RSS, ${n} open turns (ramp included)`, value: round(all.peakRssMb), unit: "MB", baseline: round(idleWindow.peakRssMb), baselineLabel: "the worker idle", target: "≤ 400 MB", passIf: (v) => v <= 400 }),
        metric({ name: `worker CPU holding ${n} open turns`, value: round(hold.cpuPercent, 1), unit: "% of a core", baseline: round(bareHold.cpuPercent, 1), baselineLabel: "bare streams", target: "≤ 25% of a core", passIf: (v) => v <= 25 }),
        metric({ name: "RSS per open turn (after GC)", value: round(perTurnKb, 1), unit: "KB", baseline: round(perStreamKb, 1), baselineLabel: "per bare undici stream", target: "≤ 2× the bare stream", passIf: (_v, r) => (r ?? Infinity) <= 2 }),
        metric({ name: "RSS per open turn after full GCs until RSS stops falling", value: round(settledPerTurnKb, 1), unit: "KB", baseline: round(settledPerStreamKb, 1), baselineLabel: "per bare undici stream, the same way" }),
        metric({ name: "RSS per open turn (after GC), the young generation's reservation aside", value: round(oldPerTurnKb, 1), unit: "KB", baseline: round(oldPerStreamKb, 1), baselineLabel: "per bare undici stream, the same way" }),
        metric({ name: "live JS heap per open turn (after GC)", value: round(heapPerTurnKb, 1), unit: "KB", baseline: round(heapPerStreamKb, 1), baselineLabel: "per bare undici stream" }),
        metric({ name: "bare streams' peak RSS (the baseline process)", value: round(bareAll.peakRssMb), unit: "MB", baseline: round(bareIdle.rssMb), baselineLabel: "idle" }),
        metric({ name: "turns open at the emulator when the hold began", value: openAtHold, unit: "turns", target: `all ${n}`, passIf: (v) => v >= TURNS }),
        metric({ name: `turns open at the emulator after the messages were sent (${openReached.toLocaleString("en")} of ${n})`, value: round(openAfterMs / 1000, 1), unit: "s" }),
      ],
      notes: [
        `Worker: RSS after GC ${round(idle.rssMb)} MB idle → ${round(held.rssMb)} MB holding; V8 heap used ${round(idle.heapUsedMb)} → ${round(held.heapUsedMb)} MB of ${round(idle.heapTotalMb)} → ${round(held.heapTotalMb)} MB reserved. Bare streams: RSS ${round(bareIdle.rssMb)} → ${round(bareHeld.rssMb)} MB, heap used ${round(bareIdle.heapUsedMb)} → ${round(bareHeld.heapUsedMb)} MB of ${round(bareIdle.heapTotalMb)} → ${round(bareHeld.heapTotalMb)} MB.`,
        `Worker V8 heap spaces (reserved/used MB), idle → holding: ${spacesText(idleSpaces)} → ${spacesText(heldSpaces)}; external ${round(idle.externalMb)} → ${round(held.externalMb)} MB. Bare streams: ${spacesText(bareIdleSpaces)} → ${spacesText(bareHeldSpaces)}; external ${round(bareIdle.externalMb)} → ${round(bareHeld.externalMb)} MB.`,
        `What an open turn holds (heap snapshots of 2,000 turns, 2026-11-30): undici's request and connection (as bare); the stream (OpenStream, src/nemo/turn-stream.ts) with its SSE reader (one FrameReader, no closures), its exchange and the relay of its job's abort signal (not the signal); the hub's HubTurn with its tally and its status message; and the drainer job parked in Redis (nothing of it in the worker's heap): about 1.5 KB of live heap beyond the bare stream. Before the stream hub, each open turn was an ACTIVE BullMQ drainer job: about eight suspended async frames (processJob → drainer → runTurn → withSession → sendOnce → consume → streamTurn), the Job with its data and lock renewal, the mailbox envelope, a setInterval for its "still working" line and an AbortController (heap snapshots of 3,000 turns, 2026-11-30: about 24 KB of live JS heap per turn against 7 KB per bare stream).`,
        ...(profile ? [`CPU profile of the worker over the hold: ${profile}`] : []),
      ],
    };
  } finally {
    await stack.close();
  }
}

function spacesText(spaces: Record<string, { sizeMb: number; usedMb: number }>): string {
  return Object.entries(spaces)
    .filter(([, s]) => s.sizeMb > 0)
    .map(([name, s]) => `${name.replace(/_space$/, "")} ${s.sizeMb}/${s.usedMb}`)
    .join(", ");
}
