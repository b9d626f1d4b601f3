import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startHoldingBot } from "../helpers/telegram-held-handling.js";

/**
 * Under a backlog the poller fetches the next updates while the last are still being handled
 * (adapters/telegram/polling.ts). Whatever it confirms meanwhile must be kept until handled (a bot
 * killed then would lose it for good), each update must be handled once, and a slow handling must
 * not let the updates in hand grow without bound.
 */

const FIRST_CHAT = 88_000;
const redis = new Redis(testRedisUrl());
afterAll(() => redis.quit());

/** `total` messages from as many chats, sent in one synchronous loop: the bot's long poll is answered with full answers. */
function sendBacklog(h: Awaited<ReturnType<typeof startHoldingBot>>["h"], total: number) {
  return Array.from({ length: total }, (_, i) => h.fake.userSends({ chatId: FIRST_CHAT + i, text: `make the intro shorter (${i})` }));
}

describe("a backlog through the inbox (the default)", () => {
  it("comes in full answers, each update handed out once; one held meanwhile is in the inbox until handled", { timeout: 60_000 }, async () => {
    const total = 250;
    const heldAt = 60;
    const prefix = uniquePrefix("tg-backlog");
    const { h, received, offsets, release, close } = await startHoldingBot((message) => message.chatId === String(FIRST_CHAT + heldAt), { QUEUE_PREFIX: prefix });
    const answers: number[] = [];
    const unsubscribe = h.fake.onUpdatesDelivered((ids) => answers.push(ids.length));
    try {
      const sent = sendBacklog(h, total);
      const held = sent[heldAt]!.updateId;
      const last = sent.at(-1)!.updateId;

      await vi.waitFor(() => expect(received).toHaveLength(total), { timeout: 30_000, interval: 20 });
      // Everything confirmed, the held update too: it is kept in the inbox.
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(last + 1), { timeout: 30_000, interval: 20 });
      expect(await redis.hkeys(`${prefix}:inbox`)).toEqual([String(held)]);
      expect(answers.slice(0, -1).every((n) => n === 100)).toBe(true);
      expect(answers.reduce((a, b) => a + b, 0)).toBe(total);

      release();
      await vi.waitFor(async () => expect(await redis.hlen(`${prefix}:inbox`)).toBe(0), { timeout: 30_000, interval: 20 });
      expect(new Set(received.map((m) => m.chatId)).size).toBe(total);
      expect(received).toHaveLength(total);
    } finally {
      unsubscribe();
      await close();
    }
  });

  it("stops fetching while TELEGRAM_INBOX_MAX_IN_HAND updates are in hand, and takes the rest once they are done", { timeout: 60_000 }, async () => {
    const total = 150;
    const cap = 20;
    const prefix = uniquePrefix("tg-backlog-cap");
    const { h, received, offsets, release, close } = await startHoldingBot(() => true, { QUEUE_PREFIX: prefix, TELEGRAM_INBOX_MAX_IN_HAND: String(cap) });
    try {
      const sent = sendBacklog(h, total);
      await vi.waitFor(() => expect(received).toHaveLength(cap), { timeout: 30_000, interval: 20 });
      // Given time, the poller takes nothing more: the rest wait at Telegram, unconfirmed.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received).toHaveLength(cap);
      expect(Math.max(...offsets())).toBeLessThanOrEqual(sent[cap]!.updateId);
      expect(sent.slice(cap).every((s) => h.fake.timesDelivered(s.updateId) === 0)).toBe(true);

      release();
      await vi.waitFor(() => expect(received).toHaveLength(total), { timeout: 30_000, interval: 20 });
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(sent.at(-1)!.updateId + 1), { timeout: 30_000, interval: 20 });
      expect(new Set(received.map((m) => m.chatId)).size).toBe(total);
      expect(sent.every((s) => h.fake.timesDelivered(s.updateId) === 1)).toBe(true);
      await vi.waitFor(async () => expect(await redis.hlen(`${prefix}:inbox`)).toBe(0), { timeout: 30_000, interval: 20 });
    } finally {
      await close();
    }
  });
});

describe("a backlog with the inbox off (TELEGRAM_INBOX_MAX_IN_HAND=0), fetched in halves of an answer", () => {
  it("never confirms an update still in hand, and hands every update on once", { timeout: 60_000 }, async () => {
    const total = 150;
    const heldAt = 60;
    const { h, received, offsets, release, close } = await startHoldingBot((message) => message.chatId === String(FIRST_CHAT + heldAt), { TELEGRAM_INBOX_MAX_IN_HAND: "0" });
    try {
      const sent = sendBacklog(h, total);
      const held = sent[heldAt]!.updateId;

      // Everything but the held update goes through while it is held.
      await vi.waitFor(() => expect(received).toHaveLength(total), { timeout: 30_000, interval: 20 });
      expect(Math.max(...offsets())).toBeLessThanOrEqual(held);
      // Some getUpdates came after the updates past the first answer were handed out, still stopping at the held one.
      expect(h.fake.timesDelivered(held)).toBeGreaterThan(1);

      release();
      const last = sent.at(-1)!.updateId;
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(last + 1), { timeout: 30_000, interval: 20 });
      expect(new Set(received.map((m) => m.chatId)).size).toBe(total);
      expect(received).toHaveLength(total);
    } finally {
      await close();
    }
  });
});
