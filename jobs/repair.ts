import type { Logger } from "../src/log.js";
import { drainerJobId } from "./keys.js";
import type { WorkQueues } from "./queues.js";

/**
 * Mailboxes whose drainer job is gone or failed (a producer died mid-submit, Redis lost a write):
 * the drainer is added again, so no waiting item is stranded. Runs at start and every minute.
 */
export async function repairMailboxes(queues: WorkQueues, logger: Logger): Promise<void> {
  for (const sessionKey of await queues.mailbox.activeSessions()) {
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
