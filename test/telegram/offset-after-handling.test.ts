import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeTestImage } from "../helpers/media.js";
import { startHoldingBot } from "../helpers/telegram-held-handling.js";

/**
 * `getUpdates` with an offset confirms every update below it, and Telegram forgets them. The bot
 * must not send an offset past an update it has not finished handling (an album's part included,
 * which waits for its album), or a process killed meanwhile loses the message for good.
 */

let dir: string;
let image: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-offset-"));
  image = await makeTestImage(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Telegram's offset follows the handling", () => {
  it("no getUpdates confirms an update (or an album's part) still being handled; once handled, the next one does", async () => {
    const { h, received, offsets, release, close } = await startHoldingBot(() => true);
    // How many getUpdates calls had arrived when the last update was handed out.
    let callsAtHandout = Infinity;
    try {
      // The album first: its parts have the lowest ids, and only the album's hold keeps them unconfirmed.
      const part1 = h.fake.userSends({ chatId: 812, mediaGroupId: "alb-offset", caption: "a slideshow", photo: { path: image } });
      const part2 = h.fake.userSends({ chatId: 812, mediaGroupId: "alb-offset", photo: { path: image } });
      const text = h.fake.userSends({ chatId: 811, text: "make the intro shorter" });
      const unsubscribe = h.fake.onUpdatesDelivered((ids) => {
        if (ids.includes(text.updateId)) callsAtHandout = Math.min(callsAtHandout, offsets().length);
      });
      // Both reached the handler (the album after its gathering window) and are held there.
      await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 10_000, interval: 20 });
      unsubscribe();
      // The poller has asked again since (the call that may confirm what it was handed).
      await vi.waitFor(() => expect(offsets().length).toBeGreaterThan(callsAtHandout), { timeout: 10_000, interval: 20 });
      expect(Math.max(...offsets())).toBeLessThanOrEqual(part1.updateId);
      const last = Math.max(text.updateId, part1.updateId, part2.updateId);

      release();
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(last + 1), { timeout: 10_000, interval: 20 });
      // Handed out again while held, but handled once.
      expect(received.map((m) => m.text).sort()).toEqual(["a slideshow", "make the intro shorter"]);
    } finally {
      await close();
    }
  });
});
