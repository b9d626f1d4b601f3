import type { Logger } from "../src/log.js";
import { SoloSweep } from "../src/redis/solo-sweep.js";
import { drainerJobId, repairSweepKey } from "./keys.js";
import type { WorkQueues } from "./queues.js";

/**
 * Mailboxes whose drainer job is gone or failed (a producer died mid-submit, Redis lost a write):
 * the drainer is added again, so no waiting item is stranded. Stops at its next mailbox once
 * `signal` aborts.
 */
export async function repairMailboxes(queues: WorkQueues, logger: Logger, signal?: AbortSignal): Promise<void> {
  for (const sessionKey of await queues.mailbox.activeSessions()) {
    if (signal?.aborted) return;
    const generation = await queues.mailbox.owner(sessionKey);
    if (generation === null) continue;
    const job = await queues.session.getJob(drainerJobId(sessionKey, generation));
    const state = job ? await job.getState() : "missing";
    if (state === "failed" || state === "completed") await job?.remove().catch(() => undefined);
    if (state === "missing" || state === "failed" || state === "completed" || state === "unknown") {
      logger.warn({ sessionKey, generation, state }, "mailbox without a drainer: re-adding it");
      await queues.addDrainer(sessionKey, generation);
    }
  }
}

/**
 * The repair, every `everyMs` (and at each worker's start), in one worker process at a time: it reads
 * every active mailbox's drainer job, work that one process does for all (see SoloSweep).
 */
export function repairSweep(queues: WorkQueues, everyMs: number, logger: Logger): SoloSweep {
  return new SoloSweep({
    redis: queues.redis,
    key: repairSweepKey(queues.prefix),
    periodMs: everyMs,
    sweep: (signal) => repairMailboxes(queues, logger, signal),
    onError: (error) => logger.warn({ err: error }, "mailbox repair failed"),
  });
}
