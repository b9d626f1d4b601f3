import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { queueNames } from "../../jobs/keys.js";
import { WorkQueues, type DrainerData } from "../../jobs/queues.js";
import { repairSweep } from "../../jobs/repair.js";
import { createLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis/client.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startSlowLink } from "../helpers/slow-link.js";
import { envelopeOf, until } from "./harness.js";

/**
 * The mailbox repair (re-adding the drainer job a mailbox lost) runs at every worker's start and
 * every minute, in one worker process at a time: each sweep reads every active mailbox's job, work
 * one process does for all. A process whose sweep is slow (its Redis far away) keeps the others out
 * until it is done.
 */

const MAILBOXES = 20;
/** Process A's link to Redis: ~3 round trips per lost drainer, so its sweep lasts over a second. */
const LINK_DELAY_MS = 10;

function processOf(url: string, prefix: string) {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
  const redis = connectRedis(url, "worker");
  const queues = new WorkQueues(redis, prefix);
  const readded = () => lines.filter((line) => line.includes("mailbox without a drainer")).length;
  return { redis, queues, readded, sweep: repairSweep(queues, 60_000, logger) };
}

describe("the mailbox repair across worker processes", () => {
  it("runs in one process at a time: a second process's tick during a slow sweep leaves it alone", async () => {
    const prefix = uniquePrefix("repair-sweep");
    const url = new URL(testRedisUrl());
    const link = await startSlowLink({ host: url.hostname, port: Number(url.port) }, LINK_DELAY_MS);
    const producer = connectRedis(testRedisUrl(), "worker");
    const queues = new WorkQueues(producer, prefix);
    const drainers = new Queue<DrainerData>(queueNames.session, { connection: producer, prefix });
    const slow = processOf(`redis://${link.host}:${link.port}`, prefix);
    const fast = processOf(testRedisUrl(), prefix);
    try {
      // Mailboxes whose drainer job was lost (as after a job failed for stalling, then removed).
      for (let user = 0; user < MAILBOXES; user += 1) await queues.enqueue(envelopeOf(63_000 + user, { kind: "export" }));
      for (const job of await drainers.getJobs(["wait"])) await job.remove();
      expect(await drainers.getJobCounts("wait")).toEqual({ wait: 0 });

      const slowSweep = slow.sweep.runOnce();
      await until(() => slow.readded() > 0, 10_000, "the slow process's sweep under way");
      // The other process's tick, while most lost drainers are still to be re-added.
      const fastSwept = await fast.sweep.runOnce();
      const slowSwept = await slowSweep;

      // What an operator reads: one "re-adding" line per lost drainer, all from the process that swept.
      expect([slow.readded(), fast.readded()]).toEqual([MAILBOXES, 0]);
      expect([slowSwept, fastSwept]).toEqual([true, false]);
      expect(await drainers.getJobCounts("wait")).toEqual({ wait: MAILBOXES });
    } finally {
      for (const own of [slow, fast]) {
        await own.sweep.stop();
        await own.queues.close();
        own.redis.disconnect();
      }
      await drainers.close();
      await queues.close();
      producer.disconnect();
      await link.close();
    }
  });
});
