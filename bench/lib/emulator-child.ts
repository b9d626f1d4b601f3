/**
 * The NemoVideo emulator in a process of its own (argv[2]: its options as JSON). Besides the
 * benchmark RPC it can watch the renders it starts: the counters list render ids in start order,
 * and a 20 ms watch turns that into a start time per render (at most 20 ms early), from which the
 * driver knows when each render completes (start + renderMs). Nothing is added to the emulator.
 */
import { startEmulator, type EmulatorOptions, type Fault } from "../../src/emulator/index.js";
import { announceReady, serveRpc } from "./rpc.js";
import { usageHandlers } from "./usage.js";

const options = JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions;
const emulator = await startEmulator({ anonymousPerIpLimit: Infinity, ...options });

const renderStartedAfter = new Map<string, number>();
let watch: NodeJS.Timeout | undefined;
let lastLook = Date.now();

serveRpc(
  {
    ...usageHandlers(),
    faults: (args) => {
      for (const fault of args as Fault[]) emulator.faults.add(fault);
      return emulator.faults.pending().length;
    },
    counters: () => ({
      runSseTotal: emulator.counters.runSseTotal(),
      renders: emulator.counters.rendersStarted().length,
      requests: {
        total: emulator.counters.requests(),
        runSse: emulator.counters.requests("run-sse"),
        state: emulator.counters.requests("state"),
        upload: emulator.counters.requests("upload"),
        renderStart: emulator.counters.requests("render-start"),
        renderStatus: emulator.counters.requests("render-status"),
        download: emulator.counters.requests("download"),
      },
    }),
    health: async () => (await fetch(`${emulator.url}/__emulator/health`)).json(),
    watchRenders: () => {
      lastLook = Date.now();
      watch ??= setInterval(() => {
        const now = Date.now();
        for (const id of emulator.counters.rendersStarted()) if (!renderStartedAfter.has(id)) renderStartedAfter.set(id, lastLook);
        lastLook = now;
      }, 20);
      return true;
    },
    /** render id → a time at or just before its start (the previous look). */
    renderStarts: () => Object.fromEntries(renderStartedAfter),
  },
  async () => {
    if (watch) clearInterval(watch);
    await emulator.close();
  },
);
announceReady({ url: emulator.url });
