import type { WorkerTuning } from "../../jobs/index.js";

/** Workers with every wait shrunk, for tests that run them in-process: locks, sweeps, pacing. */
export const TINY_TUNING: WorkerTuning = {
  lockDurationMs: 2_000,
  stalledIntervalMs: 500,
  shutdownGraceMs: 2_000,
  repairEveryMs: 1_000,
  itemRetryMs: 50,
  pacing: { privateMs: 5, groupMs: 10 },
};
