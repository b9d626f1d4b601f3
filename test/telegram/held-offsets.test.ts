import { describe, expect, it } from "vitest";
import type { Update } from "grammy/types";
import { MAX_HOLD_MS, UpdateOffsets } from "../../adapters/telegram/held-offsets.js";

/**
 * The offset the poller sends confirms every update below it (Telegram forgets them): it must never
 * pass an update still being handled, and must move on once updates are done.
 */

const updates = (...ids: number[]): Update[] => ids.map((update_id) => ({ update_id }) as Update);

describe("the offset confirms only handled updates", () => {
  it("stays at the oldest update still being handled, and moves past a batch once all of it is done", () => {
    const offsets = new UpdateOffsets();
    expect(offsets.offset()).toBe(0);
    expect(offsets.takeNew(updates(10, 11, 12)).map((u) => u.update_id)).toEqual([10, 11, 12]);
    expect(offsets.offset()).toBe(10);
    offsets.done(11);
    offsets.done(12);
    // 10 is still being handled: 11 and 12 are handed out again and must not be taken twice.
    expect(offsets.offset()).toBe(10);
    expect(offsets.takeNew(updates(10, 11, 12, 13)).map((u) => u.update_id)).toEqual([13]);
    offsets.done(10);
    expect(offsets.offset()).toBe(13);
    offsets.done(13);
    expect(offsets.offset()).toBe(14);
    expect(offsets.openCount).toBe(0);
  });

  it("an update stuck past MAX_HOLD_MS no longer holds the offset back", () => {
    let now = 1_000;
    const offsets = new UpdateOffsets(() => now);
    offsets.takeNew(updates(5));
    now += 10;
    offsets.takeNew(updates(5, 6));
    offsets.done(6);
    expect(offsets.offset()).toBe(5);
    now += MAX_HOLD_MS;
    expect(offsets.offset()).toBe(7);
  });

  it("released updates (a full answer of updates in hand) no longer hold the offset back", () => {
    const offsets = new UpdateOffsets();
    offsets.takeNew(updates(1, 2, 3));
    offsets.release(updates(1, 2));
    expect(offsets.offset()).toBe(3);
    offsets.done(3);
    expect(offsets.offset()).toBe(4);
  });

  it("settled() resolves when the last update in hand is done", async () => {
    const offsets = new UpdateOffsets();
    offsets.takeNew(updates(1, 2));
    let settled = false;
    const waiting = offsets.settled(60_000).then(() => (settled = true));
    offsets.done(1);
    await Promise.resolve();
    expect(settled).toBe(false);
    offsets.done(2);
    await waiting;
    expect(settled).toBe(true);
  });
});

describe("a backlog is fetched in halves of an answer", () => {
  it("room() counts what an answer could carry past the updates from the offset on, handled ones included", () => {
    const offsets = new UpdateOffsets();
    expect(offsets.room(100)).toBe(100);
    offsets.takeNew(updates(...Array.from({ length: 100 }, (_, i) => i + 1)));
    expect(offsets.room(100)).toBe(0);
    // 2..50 done, 1 still in hand: Telegram sends 1..100 again, nothing new fits.
    for (let id = 2; id <= 50; id++) offsets.done(id);
    expect(offsets.room(100)).toBe(0);
    offsets.done(1);
    expect(offsets.room(100)).toBe(50);
  });

  it("takeNew(max) takes the first new updates only; the rest come again and are taken then", () => {
    const offsets = new UpdateOffsets();
    expect(offsets.takeNew(updates(1, 2, 3, 4), 2).map((u) => u.update_id)).toEqual([1, 2]);
    expect(offsets.offset()).toBe(1);
    expect(offsets.takeNew(updates(1, 2, 3, 4), 2).map((u) => u.update_id)).toEqual([3, 4]);
  });

  it("roomFor() resolves once the oldest updates in hand are done", async () => {
    const offsets = new UpdateOffsets();
    offsets.takeNew(updates(1, 2, 3, 4));
    let ready = false;
    const waiting = offsets.roomFor(4, 2, 60_000).then(() => (ready = true));
    offsets.done(2);
    await Promise.resolve();
    expect(ready).toBe(false);
    offsets.done(1);
    await waiting;
    expect(ready).toBe(true);
  });
});
