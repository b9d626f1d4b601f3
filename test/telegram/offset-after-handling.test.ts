import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeTestImage } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startHoldingBot } from "../helpers/telegram-held-handling.js";

/**
 * `getUpdates` with an offset confirms every update below it, and Telegram forgets them. An update
 * the bot has not finished handling (an album's part included, which waits for its album) must stay
 * somewhere a successor finds it, or a process killed meanwhile loses the message for good: by
 * default in the Redis inbox, written before the offset passes it; with the inbox off
 * (TELEGRAM_INBOX_MAX_IN_HAND=0) at Telegram, the offset held back until it is handled.
 */

let dir: string;
let image: string;
const redis = new Redis(testRedisUrl());
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-offset-"));
  image = await makeTestImage(dir);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await redis.quit();
});

const MODES: { mode: string; inbox: boolean; env: Record<string, string> }[] = [
  { mode: "through the inbox (the default)", inbox: true, env: {} },
  { mode: "holding the offset back (TELEGRAM_INBOX_MAX_IN_HAND=0)", inbox: false, env: { TELEGRAM_INBOX_MAX_IN_HAND: "0" } },
];

describe.each(MODES)("Telegram's offset and the updates in hand, $mode", ({ inbox, env }) => {
  it("an update (or an album's part) still being handled is never confirmed unless it is in the inbox; once handled, it is confirmed and leaves the inbox", async () => {
    const prefix = uniquePrefix("tg-offset");
    const inboxIds = async () => (await redis.hkeys(`${prefix}:inbox`)).map(Number).sort((a, b) => a - b);
    const { h, received, offsets, release, close } = await startHoldingBot(() => true, { ...env, QUEUE_PREFIX: prefix });
    // How many getUpdates calls had arrived when the last update was handed out.
    let callsAtHandout = Infinity;
    try {
      // The album first: its parts have the lowest ids, and only the album's hold keeps them in hand.
      const part1 = h.fake.userSends({ chatId: 812, mediaGroupId: "alb-offset", caption: "a slideshow", photo: { path: image } });
      const part2 = h.fake.userSends({ chatId: 812, mediaGroupId: "alb-offset", photo: { path: image } });
      const text = h.fake.userSends({ chatId: 811, text: "make the intro shorter" });
      const ids = [part1.updateId, part2.updateId, text.updateId].sort((a, b) => a - b);
      const last = Math.max(...ids);
      const unsubscribe = h.fake.onUpdatesDelivered((delivered) => {
        if (delivered.includes(text.updateId)) callsAtHandout = Math.min(callsAtHandout, offsets().length);
      });
      // Both reached the handler (the album after its gathering window) and are held there.
      await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 10_000, interval: 20 });
      unsubscribe();
      // The poller has asked again since (the call that may confirm what it was handed).
      await vi.waitFor(() => expect(offsets().length).toBeGreaterThan(callsAtHandout), { timeout: 10_000, interval: 20 });
      if (inbox) {
        // Confirmed while held: each is in the inbox.
        expect(Math.max(...offsets())).toBe(last + 1);
        expect(await inboxIds()).toEqual(ids);
      } else {
        expect(Math.max(...offsets())).toBeLessThanOrEqual(part1.updateId);
        expect(await inboxIds()).toEqual([]);
      }

      release();
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(last + 1), { timeout: 10_000, interval: 20 });
      await vi.waitFor(async () => expect(await inboxIds()).toEqual([]), { timeout: 10_000, interval: 20 });
      // Handled once (without the inbox: handed out again while held).
      expect(received.map((m) => m.text).sort()).toEqual(["a slideshow", "make the intro shorter"]);
      if (inbox) for (const id of ids) expect(h.fake.timesDelivered(id)).toBe(1);
    } finally {
      await close();
    }
  });
});

describe("an answer the inbox cannot take", () => {
  it("is neither confirmed nor handled; asked for again, it is both once the inbox takes it", async () => {
    const prefix = uniquePrefix("tg-offset-refused");
    // A string where the inbox's hash goes: every write to it fails (WRONGTYPE).
    await redis.set(`${prefix}:inbox`, "not a hash");
    const { h, received, offsets, close } = await startHoldingBot(() => false, { QUEUE_PREFIX: prefix });
    try {
      const text = h.fake.userSends({ chatId: 813, text: "make the intro shorter" });
      // Asked for again (the same offset hands it out again), never past it, never handled.
      await vi.waitFor(() => expect(h.fake.timesDelivered(text.updateId)).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 20 });
      expect(Math.max(...offsets())).toBeLessThanOrEqual(text.updateId);
      expect(received).toEqual([]);

      await redis.del(`${prefix}:inbox`);
      await vi.waitFor(() => expect(Math.max(...offsets())).toBe(text.updateId + 1), { timeout: 20_000, interval: 20 });
      await vi.waitFor(() => expect(received.map((m) => m.text)).toEqual(["make the intro shorter"]), { timeout: 10_000, interval: 20 });
      await vi.waitFor(async () => expect(await redis.exists(`${prefix}:inbox`)).toBe(0), { timeout: 10_000, interval: 20 });
    } finally {
      await close();
    }
  });
});
