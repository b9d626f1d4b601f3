import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainerJobId, mailboxKeys, queueNames, sessionKeyOf } from "../../jobs/keys.js";
import { DRAINER_JOB_OPTIONS, Mailbox } from "../../jobs/mailbox.js";
import { WorkQueues } from "../../jobs/queues.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { envelopeOf, sessionOf } from "./harness.js";

/**
 * Appending to a mailbox and creating its drainer job are one step: one Redis command. With two,
 * a producer that died (or lost its connection) between them left an item with no drainer until
 * the repair sweep, and told the user their message failed although it was queued.
 */
describe("submit: the item and its drainer job in one atomic step", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("a submit that creates a drainer is a single Redis command, after which both exist", async () => {
    const prefix = uniquePrefix("atomic");
    const producer = new Redis(testRedisUrl());
    const queues = new WorkQueues(producer, prefix);
    try {
      // The first call loads the script (EVALSHA answered NOSCRIPT, then EVAL): not what is counted.
      await queues.enqueue(envelopeOf(801, { kind: "export" }));
      await queues.session.waitUntilReady();
      const sessionKey = sessionKeyOf(sessionOf(802));
      // Every command this client sends about the session (observed, then sent as it was).
      const sent: string[] = [];
      const send = producer.sendCommand.bind(producer);
      producer.sendCommand = (command, stream) => {
        if (command.args.some((arg) => String(arg).includes(sessionKey))) sent.push(command.name);
        return send(command, stream);
      };
      const envelope = envelopeOf(802, { kind: "export" });
      await queues.enqueue(envelope);
      expect(sent).toEqual(["evalsha"]);

      const generation = await redis.get(mailboxKeys(prefix, sessionKey).owner);
      expect(generation).not.toBeNull();
      const job = await queues.session.getJob(drainerJobId(sessionKey, String(generation)));
      expect(job?.data).toEqual({ sessionKey, generation });
      expect(await job?.getState()).toBe("waiting");
      expect(await redis.lrange(mailboxKeys(prefix, sessionKey).queue, 0, -1)).toEqual([JSON.stringify(envelope)]);
    } finally {
      await queues.close();
      await producer.quit();
    }
  });

  it("the drainer job the script makes is the job queue.add makes, field for field", async () => {
    const prefix = uniquePrefix("same-job");
    const queue = new Queue(queueNames.session, { connection: redis, prefix });
    const mailbox = new Mailbox(redis, prefix, queue);
    const { generation } = await mailbox.submit("s1", envelopeOf(803, { kind: "export" }));
    const ours = await redis.hgetall(`${prefix}:${queueNames.session}:${drainerJobId("s1", generation)}`);

    await queue.add("drain", { sessionKey: "s2", generation }, { ...DRAINER_JOB_OPTIONS, jobId: drainerJobId("s2", generation) });
    const theirs = await redis.hgetall(`${prefix}:${queueNames.session}:${drainerJobId("s2", generation)}`);

    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    const comparable = (fields: Record<string, string>) => ({
      ...fields,
      data: JSON.parse(fields.data ?? "null") as unknown,
      // queue.add keeps the job's id in its options too: the same, but for the session's name in it.
      opts: { ...(JSON.parse(fields.opts ?? "{}") as object), jobId: "(id)" },
      timestamp: "(now)",
    });
    expect(comparable(ours)).toEqual({ ...comparable(theirs), data: { sessionKey: "s1", generation } });
    expect(Math.abs(Number(ours.timestamp) - Number(theirs.timestamp))).toBeLessThan(60_000);
    // Both wait in the same list for a worker.
    const waiting = (await queue.getWaiting()).map((j) => j.id);
    expect(waiting).toEqual(expect.arrayContaining([drainerJobId("s1", generation), drainerJobId("s2", generation)]));
    await queue.close();
  });
});
