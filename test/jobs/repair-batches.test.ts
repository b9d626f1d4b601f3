import { Queue, UnrecoverableError, Worker } from "bullmq";
import { describe, expect, it } from "vitest";
import { queueNames, sessionKeyOf } from "../../jobs/keys.js";
import { WorkQueues, type DrainerData } from "../../jobs/queues.js";
import { readdFailedDrainer, repairMailboxes, STALL_ROUNDS_BEFORE_GIVING_UP } from "../../jobs/repair.js";
import { messages } from "../../src/i18n/index.js";
import { createLogger } from "../../src/log.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { connectTestRedis, productPrefix, testRedisEnv, uniquePrefix } from "../helpers/redis.js";
import { envelopeOf, sessionOf, until } from "./harness.js";

/**
 * The mailbox repair runs every minute over every active mailbox: a worker holding thousands of
 * open turns has thousands of them. It looks at them a batch per Redis call and reads only the
 * mailboxes whose drainer is missing, failed or completed one by one, so what it sends grows with
 * the broken mailboxes, not with every mailbox (three round trips and BullMQ's job and state reads
 * each, before).
 */

const HEALTHY = 1_200;
const FIRST_USER = 64_000;

/**
 * A producer's queues, the drainer queue read directly, a worker connection that fetches drainer jobs
 * by hand, and a logger whose lines the test reads: on the run's redis-server, and in the cluster
 * project on a Redis Cluster (one script, many keys).
 */
function openQueues(name: string) {
  const env = testRedisEnv();
  const prefix = productPrefix(env, uniquePrefix(name));
  const producer = connectTestRedis(env);
  const queues = new WorkQueues(producer, prefix);
  const drainers = new Queue<DrainerData>(queueNames.session, { connection: producer, prefix });
  const fetcher = new Worker<DrainerData>(queueNames.session, null, { connection: connectTestRedis(env), prefix });
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
  const readded = () => lines.filter((line) => line.includes("mailbox without a drainer")).map((line) => JSON.parse(line) as { sessionKey: string; state: string });
  return {
    env,
    prefix,
    queues,
    drainers,
    fetcher,
    logger,
    readded,
    async close() {
      await fetcher.close();
      await drainers.close();
      await queues.close();
      producer.disconnect();
    },
  };
}

describe("the mailbox repair over many mailboxes", () => {
  it("re-adds exactly the lost and the failed drainers, with a few commands for the healthy mailboxes", async () => {
    const { env, prefix, queues, drainers, fetcher, logger, readded, close } = openQueues("repair-batches");
    const sweeper = connectTestRedis(env);
    const sweeperQueues = new WorkQueues(sweeper, prefix);
    try {
      // Two drainers failed for good (a drainer fails only when Redis does, once its attempts are used up).
      const failedUsers = [FIRST_USER, FIRST_USER + 1];
      for (const user of failedUsers) await queues.enqueue(envelopeOf(user, { kind: "export" }));
      for (const _ of failedUsers) {
        const job = await fetcher.getNextJob("test-token");
        await job?.moveToFailed(new UnrecoverableError("Redis went away"), "test-token");
      }
      expect(await drainers.getJobCounts("failed")).toEqual({ failed: 2 });
      // Many healthy mailboxes, their drainers waiting, and three whose drainer job was lost.
      for (let user = FIRST_USER + 2; user < FIRST_USER + 2 + HEALTHY + 3; user += 1) await queues.enqueue(envelopeOf(user, { kind: "export" }));
      const lost = (await drainers.getJobs(["wait"])).slice(0, 3);
      for (const job of lost) await job.remove();
      const broken = [...failedUsers.map((user) => sessionKeyOf(sessionOf(user))), ...lost.map((job) => job.data.sessionKey)];

      // Connected first: a command sent while connecting goes through sendCommand twice.
      await sweeper.ping();
      let sent = 0;
      // A Redis or a Cluster client: counted the same way, whatever the arguments.
      const counted = sweeper as unknown as { sendCommand: (...args: unknown[]) => unknown };
      const send = counted.sendCommand.bind(sweeper);
      counted.sendCommand = (...args) => {
        sent += 1;
        return send(...args);
      };
      await repairMailboxes(sweeperQueues, logger);

      // What an operator reads: one "re-adding" line per broken mailbox, none for the healthy ones.
      expect(readded().map((line) => line.sessionKey).sort()).toEqual([...broken].sort());
      expect(readded().map((line) => line.state).sort()).toEqual(["failed", "failed", "missing", "missing", "missing"]);
      // Every mailbox has a drainer waiting again, the failed ones' old jobs gone.
      expect(await drainers.getJobCounts("wait", "failed")).toEqual({ wait: HEALTHY + 5, failed: 0 });
      // The healthy mailboxes cost a scan and a check per batch: far fewer commands than mailboxes.
      expect(sent).toBeGreaterThan(broken.length);
      expect(sent).toBeLessThan(HEALTHY / 20 + broken.length * 10);
    } finally {
      await sweeperQueues.close();
      sweeper.disconnect();
      await close();
    }
  });
  it("a drainer failed for good is added again at once by the process that saw it fail; one with attempts left is not", async () => {
    const { queues, drainers, fetcher, logger, readded, close } = openQueues("repair-failed");
    const onFailed = readdFailedDrainer(queues, () => new RecordingOutbox(), logger);
    try {
      await queues.enqueue(envelopeOf(FIRST_USER + 5_000, { kind: "upload", attachments: [] }));
      await queues.enqueue(envelopeOf(FIRST_USER + 5_001, { kind: "export" }));
      const [stalled, retried] = [await fetcher.getNextJob("test-token"), await fetcher.getNextJob("test-token")];
      if (!stalled || !retried) throw new Error("two drainer jobs expected");
      // BullMQ's own error for a job killed mid-step too often, and an ordinary failure it retries.
      const tooManyStalls = new UnrecoverableError("job stalled more than allowable limit");
      await stalled.moveToFailed(tooManyStalls, "test-token");
      const blip = new Error("Connection is closed.");
      await retried.moveToFailed(blip, "test-token");
      onFailed(stalled, tooManyStalls);
      onFailed(retried, blip);

      await until(async () => (await drainers.getJobCounts("wait")).wait === 1, 5_000, "the failed drainer added again");
      expect(await drainers.getJobCounts("wait", "failed", "delayed")).toEqual({ wait: 1, failed: 0, delayed: 1 });
      expect((await drainers.getJobs(["wait"]))[0]?.data.sessionKey).toBe(stalled.data.sessionKey);
      expect(readded()).toHaveLength(1);
    } finally {
      await close();
    }
  });
  it("an item whose drainer stalls round after round is given up on after the third round: its user is told, the session's next item goes on", async () => {
    const { queues, drainers, fetcher, logger, close } = openQueues("repair-poison");
    const outbox = new RecordingOutbox();
    const onFailed = readdFailedDrainer(queues, () => outbox, logger);
    const user = FIRST_USER + 6_000;
    const sessionKey = sessionKeyOf(sessionOf(user));
    const tooManyStalls = new UnrecoverableError("job stalled more than allowable limit");
    try {
      await queues.enqueue(envelopeOf(user, { kind: "upload", attachments: [] }));
      await queues.enqueue(envelopeOf(user, { kind: "export" }));
      for (let round = 1; round <= STALL_ROUNDS_BEFORE_GIVING_UP; round += 1) {
        // Until then, each round only adds the drainer again, and the user hears nothing of it.
        expect(outbox.texts(String(user))).toEqual([]);
        const job = await fetcher.getNextJob("test-token");
        if (!job) throw new Error(`round ${round}: a drainer job expected`);
        // The drainer has the upload in hand each time its worker dies.
        expect((await queues.mailbox.claim(sessionKey, job.data.generation)).kind).toBe("item");
        await job.moveToFailed(tooManyStalls, "test-token");
        onFailed(job, tooManyStalls);
        await until(async () => (await drainers.getJobCounts("wait")).wait === 1, 5_000, `the drainer added again after round ${round}`);
      }
      expect(outbox.texts(String(user))).toEqual([messages("en").unknownError]);
      // The upload is gone; the export waits for the drainer that was added again.
      expect(await queues.mailbox.current(sessionKey)).toBeNull();
      expect(await queues.mailbox.pending(sessionKey)).toBe(1);
    } finally {
      await close();
    }
  });
});
