import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { mailboxKeys, queueNames } from "../../jobs/keys.js";
import { Mailbox } from "../../jobs/mailbox.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

const item = (id: string): WorkEnvelope => envelopeOf(1, { kind: "export" }, id);

describe("the mailbox hand-over (Lua scripts on real Redis)", () => {
  let redis: Redis;
  let mailbox: Mailbox;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
    const prefix = uniquePrefix("mb");
    mailbox = new Mailbox(redis, prefix, new Queue(queueNames.session, { connection: redis, prefix }));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("asks for a drainer only when none owns the mailbox", async () => {
    const first = await mailbox.submit("s1", item("a"));
    expect(first).toMatchObject({ ahead: 0, newDrainer: true });
    const second = await mailbox.submit("s1", item("b"));
    expect(second).toMatchObject({ ahead: 1, newDrainer: false, generation: first.generation });

    const claimA = await mailbox.claim("s1", first.generation);
    expect(claimA.kind === "item" && claimA.envelope.id).toBe("a");
    // Claiming again (a drainer resumed after a crash) gives the same current item back.
    const again = await mailbox.claim("s1", first.generation);
    expect(again.kind === "item" && again.envelope.id).toBe("a");
    expect(await mailbox.done("s1", first.generation, "a")).toBe(true);

    const claimB = await mailbox.claim("s1", first.generation);
    expect(claimB.kind === "item" && claimB.envelope.id).toBe("b");
    expect(await mailbox.done("s1", first.generation, "b")).toBe(true);
  });

  it("a message that arrives just as the drainer finishes is taken by it or gets a new drainer, never stranded", async () => {
    const { generation } = await mailbox.submit("s2", item("x"));
    await mailbox.claim("s2", generation);
    // Arrives after the last item is done but before the drainer's final look: the drainer takes it.
    await mailbox.done("s2", generation, "x");
    const late = await mailbox.submit("s2", item("y"));
    expect(late.newDrainer).toBe(false);
    const claimY = await mailbox.claim("s2", generation);
    expect(claimY.kind === "item" && claimY.envelope.id).toBe("y");
    await mailbox.done("s2", generation, "y");
    // The drainer looks, finds nothing and lets go in the same step…
    expect((await mailbox.claim("s2", generation)).kind).toBe("released");
    // …so the next message sees no owner and asks for a new drainer of a new generation.
    const next = await mailbox.submit("s2", item("z"));
    expect(next.newDrainer).toBe(true);
    expect(next.generation).not.toBe(generation);
    // The old drainer, if it ran again, is stale and takes nothing.
    expect((await mailbox.claim("s2", generation)).kind).toBe("stale");
  });

  it("/cancel drops waiting items and leaves the current one to finish", async () => {
    const { generation } = await mailbox.submit("s3", item("c1"));
    await mailbox.submit("s3", item("c2"));
    await mailbox.submit("s3", item("c3"));
    await mailbox.claim("s3", generation);
    expect(await mailbox.cancelQueued("s3")).toBe(2);
    await mailbox.done("s3", generation, "c1");
    expect((await mailbox.claim("s3", generation)).kind).toBe("released");
  });

  it("a follow-up put in front runs next", async () => {
    const { generation } = await mailbox.submit("s4", item("f1"));
    await mailbox.submit("s4", item("f3"));
    await mailbox.claim("s4", generation);
    await mailbox.submit("s4", item("f2"), "front");
    await mailbox.done("s4", generation, "f1");
    const next = await mailbox.claim("s4", generation);
    expect(next.kind === "item" && next.envelope.id).toBe("f2");
  });
});

describe("the race with real workers", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { WORKER_CONCURRENCY: "2" } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("a message sent just as the drainer finishes is never stranded", async () => {
    const session = sessionOf(7);
    const keys = mailboxKeys(h.prefix, "telegram~7@7");
    const texts: string[] = [];
    for (let i = 0; i < 40; i++) {
      const text = `add the title "trickle ${i}"`;
      texts.push(text);
      await h.queue.submit(envelopeOf(7, { kind: "turn", text }));
      // Wait for the answer, then send the next at once (it races the drainer's last look) or, every
      // other time, right after the drainer let go (it must start a new drainer).
      await until(() => h.done.turns >= i + 1, 10_000, `turn ${i}`, 1);
      if (i % 2 === 1) await until(async () => (await h.redis.exists(keys.owner)) === 0, 10_000, "the drainer to let go", 1);
    }
    await until(() => h.done.turns >= 40, 10_000, "40 turns");
    const sessionId = await h.sessionIdOf(session);
    expect(h.emulator.session(sessionId)?.messages).toEqual(texts);
    // Each hand-over to a new drainer is a new generation: at least one per "after it let go" round.
    expect(Number(await h.redis.get(keys.generation))).toBeGreaterThanOrEqual(20);
  });
});
