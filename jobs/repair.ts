import type { Logger } from "../src/log.js";
import { SoloSweep } from "../src/redis/solo-sweep.js";
import { drainerJobId, repairSweepKey } from "./keys.js";
import type { WorkQueues } from "./queues.js";

/**
 * Mailboxes whose drainer job is gone or failed (a producer died mid-submit, Redis lost a write):
 * the drainer is added again, so no waiting item is stranded. Stops at its next mailbox once
 * `signal` aborts.
 *
 * One script call looks at a batch of mailboxes (Mailbox.drainersToCheck) and only the ones it
 * flags are read one by one. Read one by one (three round trips and BullMQ's job and state reads
 * each), the sweep was half of what a worker holding 10,000 open turns allocated: 400 MB over the
 * bench's 60 s hold, 204 MB in batches, and 21.6 % of a core against 15.4 %
 * (`BENCH_ALLOC_DIR=<dir> npm run bench -- open-turns`, one run each).
 */
export async function repairMailboxes(queues: WorkQueues, logger: Logger, signal?: AbortSignal): Promise<void> {
  for await (const sessions of queues.mailbox.activeSessions()) {
    if (signal?.aborted) return;
    for (const sessionKey of await queues.mailbox.drainersToCheck(sessions)) {
      if (signal?.aborted) return;
      await repairMailbox(queues, sessionKey, logger);
    }
  }
}

/** Reads one flagged mailbox again (it may have moved on since) and re-adds its drainer when it has none. */
async function repairMailbox(queues: WorkQueues, sessionKey: string, logger: Logger): Promise<void> {
  const generation = await queues.mailbox.owner(sessionKey);
  if (generation === null) return;
  const job = await queues.session.getJob(drainerJobId(sessionKey, generation));
  const state = job ? await job.getState() : "missing";
  if (state === "failed" || state === "completed") await job?.remove().catch(() => undefined);
  if (state === "missing" || state === "failed" || state === "completed" || state === "unknown") {
    logger.warn({ sessionKey, generation, state }, "mailbox without a drainer: re-adding it");
    await queues.addDrainer(sessionKey, generation);
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
