import { Queue, Worker } from "bullmq";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverRender } from "../../jobs/delivery.js";
import { JobLockLostError, stillHolds } from "../../jobs/job-control.js";
import { drainerJobId, mailboxKeys, queueNames, sessionKeyOf } from "../../jobs/keys.js";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import { testRedisUrl } from "../helpers/redis.js";
import { completedRenderOf, deliveryContext } from "./delivery-fixture.js";
import { envelopeOf, sessionOf, startHarness, until, userWithClip, type Harness } from "./harness.js";

const en = messages("en");

/**
 * Redis unreachable for longer than a job's lock: BullMQ's stalled check hands the job to a second
 * run while the first still works on it. Only the run that holds the lock may post the video.
 */
describe("a render job run whose lock lapsed", () => {
  let h: Harness;
  let clip: string;
  beforeAll(async () => {
    h = await startHarness();
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "lock-lapse-")));
  });
  afterAll(async () => {
    await h.close();
  });

  it("tells whether this run still holds the job's lock (BullMQ's own lock, checked and renewed)", async () => {
    const connection = { url: testRedisUrl(), maxRetriesPerRequest: null };
    const name = `lock-lapse-${process.pid}-${Date.now()}`;
    const queue = new Queue(name, { connection, prefix: h.prefix });
    const worker = new Worker(name, null, { connection, prefix: h.prefix, lockDuration: 30_000 });
    try {
      await queue.add("x", {});
      const token = "run-1";
      const job = await worker.getNextJob(token);
      if (!job) throw new Error("no job");
      expect(await stillHolds(job, token, 30_000)).toBe(true);
      expect(await stillHolds(job, "another-run", 30_000)).toBe(false);
      // What a restart past the lock's lifetime leaves: the lock is gone.
      await h.redis.del(`${queue.toKey(job.id ?? "")}:lock`);
      expect(await stillHolds(job, token, 30_000)).toBe(false);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("does not post the video; the run that holds it posts it once", async () => {
    const u = await userWithClip(h, 1901, clip);
    const envelope = envelopeOf(u.id, { kind: "export" });
    const { session, finished } = await completedRenderOf(h, u.id, envelope);
    const ctx = deliveryContext(h, h.outbox);
    const videos = () => h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === u.chatId);

    const lapsed = deliverRender(ctx, envelope, session, finished, {}, new AbortController().signal, async () => false);
    await expect(lapsed).rejects.toBeInstanceOf(JobLockLostError);
    expect(videos()).toHaveLength(0);

    const holder = await deliverRender(ctx, envelope, session, finished, {}, new AbortController().signal, async () => true);
    expect(holder).toEqual({ kind: "delivered", how: "video" });
    expect(videos()).toHaveLength(1);
    expect(videos()[0]).toMatchObject({ caption: en.exportCaption });
  });

  it("a turn whose drainer's lock lapsed mid-stream is answered once, by the run that took the job over", async () => {
    const u = await userWithClip(h, 1902, clip);
    const text = 'add the title "Lapsed Lock"';
    const answersBefore = h.outbox.entries.filter((e) => e.to.chatId === u.chatId && e.type === "text").length;
    h.emulator.faults.add({ kind: "slow-tool", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text }));
    // The message reached the stream; its tool runs a while. Now the lock goes, as a Redis restart
    // longer than the lock leaves it: BullMQ's stalled check hands the drainer job to a second run
    // if it still runs (it parks while the stream hub reads the stream, and holds no lock then).
    await until(() => h.emulator.counters.runSse(u.sessionId, text) === 1, 15_000, "the turn in its stream", 5);
    const sessionKey = sessionKeyOf(sessionOf(u.id));
    const generation = await h.redis.get(mailboxKeys(h.prefix, sessionKey).owner);
    const jobId = drainerJobId(sessionKey, generation ?? "");
    await h.redis.del(`${h.prefix}:${queueNames.session}:${jobId}:lock`);
    // Done when the session's mailbox is empty and no drainer job is left.
    await until(
      async () => (await h.redis.exists(mailboxKeys(h.prefix, sessionKey).owner)) === 0 && h.done.turns >= 1,
      30_000,
      "the turn finished and the mailbox released",
      50,
    );
    // One answer: the stream's own words (with the timeline they offer), or the recovery's, never both.
    const answers = h.outbox.entries.filter((e) => e.to.chatId === u.chatId && e.type === "text").slice(answersBefore);
    expect(answers).toHaveLength(1);
    expect(h.emulator.counters.runSse(u.sessionId, text)).toBe(1);
  });
});
