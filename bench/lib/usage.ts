import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";

/**
 * Resident memory and CPU time of the current process, for the child under test to report. A
 * window samples RSS at a fixed rate (peak and mean) and takes the CPU time used over its length,
 * as a share of one core.
 */

const MB = 1024 * 1024;

export interface UsageNow {
  rssMb: number;
  heapUsedMb: number;
  /** The V8 heap as reserved from the system (used + free pages it keeps). */
  heapTotalMb: number;
  externalMb: number;
  cpuMs: number;
  at: number;
}

export function usageNow(): UsageNow {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssMb: memory.rss / MB,
    heapUsedMb: memory.heapUsed / MB,
    heapTotalMb: memory.heapTotal / MB,
    externalMb: memory.external / MB,
    cpuMs: (cpu.user + cpu.system) / 1000,
    at: Date.now(),
  };
}

export interface WindowReport {
  wallMs: number;
  cpuMs: number;
  /** CPU time over wall time, in % of one core. */
  cpuPercent: number;
  startRssMb: number;
  endRssMb: number;
  peakRssMb: number;
  meanRssMb: number;
  samples: number;
  peakHeapUsedMb: number;
}

/** Samples the process from `start()` until `stop()`. */
export class UsageWindow {
  private readonly begin = usageNow();
  private readonly timer: NodeJS.Timeout;
  private peak = this.begin.rssMb;
  private peakHeap = this.begin.heapUsedMb;
  private sum = 0;
  private count = 0;

  constructor(everyMs = 250) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const memory = process.memoryUsage();
    const rss = memory.rss / MB;
    this.peak = Math.max(this.peak, rss);
    this.peakHeap = Math.max(this.peakHeap, memory.heapUsed / MB);
    this.sum += rss;
    this.count += 1;
  }

  stop(): WindowReport {
    clearInterval(this.timer);
    this.sample();
    const end = usageNow();
    const wallMs = Math.max(1, end.at - this.begin.at);
    const cpuMs = end.cpuMs - this.begin.cpuMs;
    return {
      wallMs,
      cpuMs,
      cpuPercent: (cpuMs / wallMs) * 100,
      startRssMb: this.begin.rssMb,
      endRssMb: end.rssMb,
      peakRssMb: this.peak,
      meanRssMb: this.sum / this.count,
      samples: this.count,
      peakHeapUsedMb: this.peakHeap,
    };
  }
}

/** A CPU profile of this process's main thread between `profileStart` and `profileStop` (node:inspector). */
let profiler: Session | undefined;
async function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
}

/** Handlers every child offers: `usage` now, named sampling windows, and a CPU profile of a span. */
export function usageHandlers(): Record<string, (args: unknown) => unknown> {
  const windows = new Map<string, UsageWindow>();
  return {
    usage: () => usageNow(),
    windowStart: (args) => {
      const { name, everyMs } = args as { name: string; everyMs?: number };
      windows.get(name)?.stop();
      windows.set(name, new UsageWindow(everyMs));
      return true;
    },
    windowStop: (args) => {
      const { name } = args as { name: string };
      const window = windows.get(name);
      if (!window) throw new Error(`no window ${name}`);
      windows.delete(name);
      return window.stop();
    },
    profileStart: async () => {
      profiler = new Session();
      profiler.connect();
      await post(profiler, "Profiler.enable");
      await post(profiler, "Profiler.setSamplingInterval", { interval: 200 });
      await post(profiler, "Profiler.start");
      return true;
    },
    profileStop: async (args) => {
      const { path } = args as { path: string };
      if (!profiler) throw new Error("no profile running");
      const { profile } = (await post(profiler, "Profiler.stop")) as { profile: unknown };
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(path, JSON.stringify(profile));
      return path;
    },
    /**
     * Every allocation sampled (one in 4 KB), garbage included, between `allocProfileStart` and
     * `allocProfileStop`: where the bytes a span allocates come from (Chrome DevTools reads it).
     */
    allocProfileStart: async () => {
      profiler = new Session();
      profiler.connect();
      await post(profiler, "HeapProfiler.enable");
      await post(profiler, "HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return true;
    },
    allocProfileStop: async (args) => {
      const { path } = args as { path: string };
      if (!profiler) throw new Error("no profile running");
      const { profile } = (await post(profiler, "HeapProfiler.stopSampling")) as { profile: unknown };
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(path, JSON.stringify(profile));
      return path;
    },
    /** A heap snapshot of this process (Chrome DevTools, or bench/lib/heap-summary.ts). */
    heapSnapshot: (args) => {
      global.gc?.();
      return writeHeapSnapshot((args as { path: string }).path);
    },
    heapSpaces: () => Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { sizeMb: Math.round(s.space_size / MB), usedMb: Math.round(s.space_used_size / MB) }])),
    gc: () => {
      global.gc?.();
      return usageNow();
    },
    /**
     * Full GCs until RSS stops falling (at most 10): each one compacts only some fragmented pages,
     * so this shows how much of "RSS after GC" is pages V8 had not yet given back.
     */
    gcSettled: () => {
      let last = usageNow();
      for (let round = 0; round < 10 && global.gc; round += 1) {
        global.gc();
        const now = usageNow();
        const fell = last.rssMb - now.rssMb;
        last = now;
        if (fell < 1) break;
      }
      return last;
    },
  };
}
