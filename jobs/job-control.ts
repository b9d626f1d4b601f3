import { DelayedError, type Job } from "bullmq";

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

/** Parks the job until `delayMs` from now with its step saved: the slot is free meanwhile. */
export async function park<T>(job: Job<T>, data: T, delayMs: number, token: string | undefined): Promise<never> {
  await job.updateData(data);
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
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
