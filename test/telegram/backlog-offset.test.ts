import { describe, expect, it, vi } from "vitest";
import { startHoldingBot } from "../helpers/telegram-held-handling.js";

/**
 * Under a backlog the poller asks for the next half of an answer while the last is still being
 * handled (adapters/telegram/polling.ts). The offset it sends must still never pass an update in
 * hand: a bot killed then would lose it for good. One update held in its handler while 149 others
 * around it are handed out and handled: no getUpdates confirms it, and each update is handled once.
 */

const TOTAL = 150;
const HELD = 60;
const FIRST_CHAT = 88_000;

describe("a backlog of updates fetched while others are handled", () => {
  it("never confirms an update still in hand, and hands every update on once", { timeout: 60_000 }, async () => {
    const { h, received, offsets, release, close } = await startHoldingBot((message) => message.chatId === String(FIRST_CHAT + HELD));
    try {
      // All at once (one synchronous loop): the bot's long poll is answered with a full answer.
      const sent = Array.from({ length: TOTAL }, (_, i) => h.fake.userSends({ chatId: FIRST_CHAT + i, text: `make the intro shorter (${i})` }));
      const held = sent[HELD]!.updateId;

      // Everything but the held update goes through while it is held.
      await vi.waitFor(() => expect(received).toHaveLength(TOTAL), { timeout: 30_000, interval: 20 });
      expect(Math.max(...offsets())).toBeLessThanOrEqual(held);
      // Some getUpdates came after the updates past the first answer were handed out, still stopping at the held one.
      expect(h.fake.timesDelivered(held)).toBeGreaterThan(1);

      release();
      const last = sent.at(-1)!.updateId;
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(last + 1), { timeout: 30_000, interval: 20 });
      expect(new Set(received.map((m) => m.chatId)).size).toBe(TOTAL);
      expect(received).toHaveLength(TOTAL);
    } finally {
      await close();
    }
  });
});
