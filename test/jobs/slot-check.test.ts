import { afterAll, describe, expect, it } from "vitest";
import { createWorkQueue } from "../../jobs/queues.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { SentRef } from "../../src/chat/outbox.js";
import { RateLimitedError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { until } from "./harness.js";


/**
 * A burst of new users and no worker slot free: each item is looked at again a moment after it was
 * queued, and announced ("⏳ Queued: you're next") when it still waits. The platform's limits refuse
 * most of those posts, and once one was refused the others are skipped for a while (the workers'
 * sweep posts them later). Those looks are made a few at a time, so the first refusal spares the
 * rest of the burst: the bot does not read every user's line and try a post for each.
 */

/** Refuses every status, as Telegram's limits do when the bot's send slots are taken. */
class RefusingOutbox extends RecordingOutbox {
  tries = 0;
  override async upsertStatus(_to: ReplyHandle, _ref: SentRef | undefined, _text: string): Promise<SentRef> {
    this.tries += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new RateLimitedError("no send slot (test)", 5_000);
  }
}

function envelope(chatId: number): WorkEnvelope {
  const chat = String(chatId);
  return {
    id: `item-${chatId}-${Math.random().toString(36).slice(2)}`,
    session: { platform: "telegram", userKey: `telegram:${chat}`, chatId: chat, locale: "en" },
    replyTo: { platform: "telegram", chatId: chat, threadId: `telegram:${chat}:`, chatKind: "private" },
    locale: "en",
    item: { kind: "turn", text: "make the intro shorter" },
    receivedAt: Date.now(),
  };
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

describe("a burst of new users with no worker slot free", () => {
  it("tries a few statuses, not one per user, once the platform refuses them", async () => {
    const outbox = new RefusingOutbox();
    const queue = createWorkQueue({ connection: testRedisUrl(), prefix: uniquePrefix("slot-check"), logger: silentLogger, outbox: () => outbox, slotCheckMs: 50 });
    closers.push(() => queue.close());
    const users = Array.from({ length: 200 }, (_, i) => envelope(62_000 + i));
    const outcomes = await Promise.all(users.map((e) => queue.submit(e)));
    // Each is alone in its mailbox: it waits only for want of a worker slot.
    expect(outcomes.every((o) => o.position === 0)).toBe(true);
    await until(() => outbox.tries > 0, 5_000, "a status tried");
    // Time for every user's look to be made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(outbox.tries).toBeLessThanOrEqual(4);
  });

  it("still says it waits, when the platform takes the status", async () => {
    const outbox = new RecordingOutbox();
    const queue = createWorkQueue({ connection: testRedisUrl(), prefix: uniquePrefix("slot-check"), logger: silentLogger, outbox: () => outbox, slotCheckMs: 50 });
    closers.push(() => queue.close());
    const users = Array.from({ length: 20 }, (_, i) => envelope(62_500 + i));
    await Promise.all(users.map((e) => queue.submit(e)));
    await until(() => outbox.entries.filter((e) => e.type === "status").length === users.length, 5_000, "every user told");
    // Places among the other users' work waiting for a slot ("you're next", "1 ahead of you", …).
    for (const entry of outbox.entries) expect(entry.type === "status" && entry.text.startsWith("⏳ Queued")).toBe(true);
  });
});
