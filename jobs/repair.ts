import type { Job } from "bullmq";
import type { Logger } from "../src/log.js";
import { SoloSweep } from "../src/redis/solo-sweep.js";
import { failedForGood } from "./job-control.js";
import { drainerJobId, repairSweepKey } from "./keys.js";
import type { DrainerData, WorkQueues } from "./queues.js";

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
 * The session worker's "failed" listener: a drainer that failed for good (killed mid-step ten times
 * in a row, or thrown out by Redis five times) is added again at once by the process that failed it,
 * not up to a minute later by the sweep, which stays for what no process saw fail (a producer that
 * died mid-submit, a lost write). A fault run saw an upload wait 55 s for the sweep that way, and its
 * user past the 3 minutes the run waits for an answer (README, the fault run). A poison item still
 * gets ten stalls per round, each a lock's length (`JOB_LOCK_MS`) and its worker's restart.
 */
export function readdFailedDrainer(queues: WorkQueues, logger: Logger): (job: Job<DrainerData> | undefined, error: Error) => void {
  return (job, error) => {
    if (!job || !failedForGood(job, error)) return;
    repairMailbox(queues, job.data.sessionKey, logger).catch((failure: unknown) =>
      logger.warn({ err: failure, job: job.id }, "a failed drainer could not be added again: the repair sweep will"),
    );
  };
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
