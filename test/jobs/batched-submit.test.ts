import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainerJobId, mailboxKeys, queueNames } from "../../jobs/keys.js";
import { Mailbox } from "../../jobs/mailbox.js";
import { updateItemsKey } from "../../src/chat/update-claims.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.js";
import { scriptCalls } from "../helpers/script-calls.js";
import { uniquePrefix } from "../helpers/redis.js";
import { envelopeOf } from "./harness.js";

/**
 * Submits made together (the updates of one getUpdates answer, concurrent webhook POSTs) reach
 * Redis as ONE script call, where each used to be a call of its own: each submit's answer is the
 * one it would have had alone, applied in the order the submits were made.
 */

let server: RedisServerHandle;
let redis: Redis;
beforeAll(async () => {
  // A server of this file's own: INFO commandstats counts every client's commands.
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis.quit();
  await server.stop();
});

async function mailboxOf(maxItems = 0): Promise<{ mailbox: Mailbox; queue: Queue; prefix: string }> {
  const prefix = uniquePrefix("batched-submit");
  const queue = new Queue(queueNames.session, { connection: redis, prefix });
  const mailbox = new Mailbox(redis, prefix, queue, maxItems);
  // The first call loads the script (EVALSHA answered NOSCRIPT, then EVAL): not what is counted.
  await mailbox.submit("warm-up", envelopeOf(1, { kind: "export" }));
  return { mailbox, queue, prefix };
}

const item = (id: string): WorkEnvelope => envelopeOf(1, { kind: "turn", text: id }, id);

describe("submits made together: one script call", () => {
  it("thirty new sessions' items are one script call; each gets its own mailbox and drainer job", async () => {
    const { mailbox, queue, prefix } = await mailboxOf();
    const sessions = Array.from({ length: 30 }, (_, i) => `s${i}`);
    const items = sessions.map((session) => item(`${session}-a`));
    const before = await scriptCalls(redis);
    const results = await Promise.all(sessions.map((session, i) => mailbox.submit(session, items[i] as WorkEnvelope)));
    expect(await scriptCalls(redis)).toBe(before + 1);
    for (const [i, session] of sessions.entries()) {
      const result = results[i];
      expect(result).toMatchObject({ ahead: 0, newDrainer: true, full: false });
      expect(await redis.lrange(mailboxKeys(prefix, session).queue, 0, -1)).toEqual([JSON.stringify(items[i])]);
      expect((await queue.getJob(drainerJobId(session, String(result?.generation))))?.data).toEqual({ sessionKey: session, generation: result?.generation });
    }
    await queue.close();
  });

  it("two items of one session in one call keep their order: the second finds the first's drainer", async () => {
    const { mailbox, queue, prefix } = await mailboxOf();
    const [a, b] = [item("first"), item("second")];
    const before = await scriptCalls(redis);
    const [first, second] = await Promise.all([mailbox.submit("s", a), mailbox.submit("s", b)]);
    expect(await scriptCalls(redis)).toBe(before + 1);
    expect(first).toMatchObject({ ahead: 0, newDrainer: true });
    expect(second).toEqual({ ahead: 1, newDrainer: false, full: false, generation: first.generation });
    expect(await redis.lrange(mailboxKeys(prefix, "s").queue, 0, -1)).toEqual([JSON.stringify(a), JSON.stringify(b)]);
    await queue.close();
  });

  it("an update handled twice in one call (a re-delivered copy) queues its item once", async () => {
    const { mailbox, queue, prefix } = await mailboxOf();
    const record = { key: updateItemsKey(prefix, "telegram:1:77"), field: "item:0" };
    const [original, copy] = [item("original"), item("copy")];
    const before = await scriptCalls(redis);
    const [first, second] = await Promise.all([mailbox.submit("s", original, "back", record), mailbox.submit("s", copy, "back", record)]);
    expect(await scriptCalls(redis)).toBe(before + 1);
    expect(first).toMatchObject({ ahead: 0, newDrainer: true });
    expect(second).toMatchObject({ queuedAs: original.id });
    expect(await redis.lrange(mailboxKeys(prefix, "s").queue, 0, -1)).toEqual([JSON.stringify(original)]);
    await queue.close();
  });

  it("a mailbox filled by the call's earlier items refuses the next; another session's item goes in", async () => {
    const { mailbox, queue, prefix } = await mailboxOf(2);
    const before = await scriptCalls(redis);
    const results = await Promise.all([
      mailbox.submit("full", item("f1")),
      mailbox.submit("other", item("o1")),
      mailbox.submit("full", item("f2")),
      mailbox.submit("full", item("f3")),
    ]);
    expect(await scriptCalls(redis)).toBe(before + 1);
    expect(results.map((r) => ({ ahead: r.ahead, full: r.full }))).toEqual([
      { ahead: 0, full: false },
      { ahead: 0, full: false },
      { ahead: 1, full: false },
      { ahead: 2, full: true },
    ]);
    expect(await redis.llen(mailboxKeys(prefix, "full").queue)).toBe(2);
    await queue.close();
  });

  it("an item whose step fails in Redis fails its own submit only", async () => {
    const { mailbox, queue, prefix } = await mailboxOf();
    // Its update's hash is not a hash: reading it fails (WRONGTYPE) before anything is written.
    const broken = { key: `${prefix}:update-items:broken`, field: "item:0" };
    await redis.set(broken.key, "not a hash");
    const settled = await Promise.allSettled([mailbox.submit("a", item("a1")), mailbox.submit("b", item("b1"), "back", broken), mailbox.submit("a", item("a2"))]);
    expect(settled[0]).toMatchObject({ status: "fulfilled", value: { ahead: 0, newDrainer: true } });
    expect(settled[1]).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("WRONGTYPE") } });
    expect(settled[2]).toMatchObject({ status: "fulfilled", value: { ahead: 1, newDrainer: false } });
    expect(await redis.exists(mailboxKeys(prefix, "b").queue)).toBe(0);
    await queue.close();
  });
});
