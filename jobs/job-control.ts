import { DelayedError, type Job, type Queue } from "bullmq";
import type { RedisClient } from "../src/redis/client.js";

/**
 * Small pieces of how a worker drives a BullMQ job: following its abort signal, parking it as a
 * delayed step, and bounding a wait.
 */

/**
 * Aborts `controller` when BullMQ's signal for the job aborts (`worker.cancelJob`); returns the undo.
 * A listener rather than AbortSignal.any: one open turn holds it for minutes, and `any` keeps weak
 * references, sets and maps per combined signal, a cost a process holding thousands of turns notices.
 */
export function followAbort(bullSignal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!bullSignal) return () => undefined;
  const onAbort = (): void => controller.abort(bullSignal.reason);
  if (bullSignal.aborted) onAbort();
  else bullSignal.addEventListener("abort", onAbort, { once: true });
  return () => bullSignal.removeEventListener("abort", onAbort);
}

/**
 * BullMQ counts a job's stalls (its worker died or lost the lock while it was active) over the job's
 * whole life, in the job hash's `stc` field (bullmq is pinned to an exact version: see
 * jobs/README.md), and fails it for good past `maxStalledCount`. Our jobs live through many steps (a
 * drainer through its session's mailbox, a render through its polls and delivery), so a few kills
 * spread over its life would fail a job that made progress each time: with the render, the video.
 * A step that completes resets the count, so only a job that kills its worker `maxStalledCount`
 * times in a row without finishing a step (a poison job) is given up on. Only an existing job is
 * touched: HSET alone would recreate a removed job's key.
 */
const RESET_STALLS = `if redis.call("EXISTS", KEYS[1]) == 1 then redis.call("HSET", KEYS[1], "stc", 0) end return 0`;

/** Where a parked job's stall count is reset: our connection and the job's queue (for its key). */
export interface StallReset {
  redis: RedisClient;
  queue: Pick<Queue, "toKey">;
}

/** Parks the job until `delayMs` from now with its step saved: the slot is free meanwhile. */
export async function park<T>(job: Job<T>, data: T, delayMs: number, token: string | undefined, stalls: StallReset): Promise<never> {
  await job.updateData(data);
  await job.moveToDelayed(Date.now() + delayMs, token);
  if (job.id !== undefined && job.stalledCounter > 0) await stalls.redis.eval(RESET_STALLS, 1, stalls.queue.toKey(job.id));
  throw new DelayedError();
}

/**
 * A failed job that will not run again: its attempts are used up, or the failure is unrecoverable
 * (BullMQ's own for a job that stalled too often, which ends it whatever attempts it had left).
 */
export function failedForGood(job: Pick<Job, "attemptsMade" | "opts">, error: Error): boolean {
  return error.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** True when `work` settles within `ms` (either way); false when it is still pending then. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * This run of a job no longer holds its lock: Redis was unreachable for longer than the lock lasts,
 * and BullMQ's stalled check may have handed the job to another run meanwhile. Thrown before a side
 * effect that must not happen twice (posting a video), so that only the lock's holder does it.
 */
export class JobLockLostError extends Error {
  readonly code = "job_lock_lost";
  constructor(jobId: string | undefined) {
    super(`lost the lock of job ${jobId ?? "?"}: another run may hold it`);
    this.name = "JobLockLostError";
  }
}

/**
 * Whether this run still holds the job's lock, renewing it for another `lockDurationMs` when it does
 * (BullMQ's own extendLock: one round trip). Without a token (a job run by hand) it is ours.
 */
export async function stillHolds(job: Pick<Job, "extendLock">, token: string | undefined, lockDurationMs: number): Promise<boolean> {
  if (token === undefined) return true;
  return (await job.extendLock(token, lockDurationMs)) === 1;
}
