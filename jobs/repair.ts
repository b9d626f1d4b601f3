import type { Job } from "bullmq";
import type { Platform } from "../src/chat/message.js";
import type { Outbox } from "../src/chat/outbox.js";
import type { Logger } from "../src/log.js";
import { SoloSweep } from "../src/redis/solo-sweep.js";
import { tellGaveUp } from "./give-up.js";
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

/** A poison item (one that kills its worker every time) is given up on after this many rounds of stalls. */
export const STALL_ROUNDS_BEFORE_GIVING_UP = 3;

/**
 * The session worker's "failed" listener: a drainer that failed for good (killed mid-step ten times
 * in a row, or thrown out by Redis five times) is added again at once by the process that failed it,
 * not up to a minute later by the sweep, which stays for what no process saw fail (a producer that
 * died mid-submit, a lost write). A fault run saw an upload wait 55 s for the sweep that way, and its
 * user past the 3 minutes the run waits for an answer (README, the fault run).
 *
 * An item whose drainer BullMQ failed for stalling STALL_ROUNDS_BEFORE_GIVING_UP times (thirty
 * kills in a row with it in hand: an item that crashes its worker, not bad luck) is given up on:
 * the user is told, as after an item's last try, and the session's next items go on. Re-added at
 * once with no such limit, such an item would crash every worker that took it, for ever.
 */
export function readdFailedDrainer(queues: WorkQueues, outboxOf: (platform: Platform) => Outbox, logger: Logger): (job: Job<DrainerData> | undefined, error: Error) => void {
  return (job, error) => {
    if (!job || !failedForGood(job, error)) return;
    afterFailedDrainer(queues, job.data, error, outboxOf, logger).catch((failure: unknown) =>
      logger.warn({ err: failure, job: job.id }, "a failed drainer could not be added again: the repair sweep will"),
    );
  };
}

async function afterFailedDrainer(queues: WorkQueues, { sessionKey, generation }: DrainerData, error: Error, outboxOf: (platform: Platform) => Outbox, logger: Logger): Promise<void> {
  // BullMQ's failure of a job that stalled too often (drainers throw no UnrecoverableError of their own).
  const current = error.name === "UnrecoverableError" ? await queues.mailbox.current(sessionKey) : null;
  if (current && (await queues.markers.increment("stalled", current.id)) >= STALL_ROUNDS_BEFORE_GIVING_UP) {
    logger.error({ item: current.id, sessionKey, rounds: STALL_ROUNDS_BEFORE_GIVING_UP }, "an item stalled its drainer round after round: giving up on it");
    // Only while that drainer's generation still owns the mailbox and this item is its current one.
    if (await queues.mailbox.done(sessionKey, generation, current.id)) {
      await tellGaveUp(outboxOf, current, await queues.markers.statusOf(current.id));
    }
  }
  await repairMailbox(queues, sessionKey, logger);
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
