import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { ProgressTurns, progressTurnsPerPoll } from "../../jobs/progress-turns.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * Progress turns on the test run's redis-server: when the platform cannot show every render's
 * figure, the renders whose chats waited longest for an update are the ones that try.
 */
describe("progress turns", () => {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  afterAll(() => redis.disconnect());

  it("go to the renders whose chats waited longest, and a chat just updated goes to the back", async () => {
    const turns = new ProgressTurns(redis, uniquePrefix("turns"));
    const now = Date.now();
    // Three renders, their chats last updated 90 s, 60 s and 5 s ago; two turns per poll.
    expect(await turns.mayShow("telegram", "fresh", now - 5_000, 2)).toBe(true);
    expect(await turns.mayShow("telegram", "waited-60", now - 60_000, 2)).toBe(true);
    expect(await turns.mayShow("telegram", "waited-90", now - 90_000, 2)).toBe(true);
    // Now all three want a turn: the freshest chat skips its edit.
    expect(await turns.mayShow("telegram", "fresh", now - 5_000, 2)).toBe(false);
    expect(await turns.mayShow("telegram", "waited-60", now - 60_000, 2)).toBe(true);
    // The 90-s chat was just shown its progress: it goes to the back, the fresh one moves up.
    expect(await turns.mayShow("telegram", "waited-90", now, 2)).toBe(false);
    expect(await turns.mayShow("telegram", "fresh", now - 5_000, 2)).toBe(true);
    // A finished render leaves the line; another platform's renders have a line of their own.
    await turns.forget("telegram", "waited-60");
    expect(await turns.mayShow("telegram", "waited-90", now, 2)).toBe(true);
    expect(await turns.mayShow("discord", "other", now, 1)).toBe(true);
  });

  it("are not held by a render whose job died: an entry whose chat saw nothing for over an hour leaves the line", async () => {
    const turns = new ProgressTurns(redis, uniquePrefix("turns"));
    const now = Date.now();
    expect(await turns.mayShow("telegram", "died", now - 2 * 3600_000, 1)).toBe(true);
    // The dead render would rank first for ever; past the hour it is dropped and the live one goes.
    expect(await turns.mayShow("telegram", "live", now - 60_000, 1)).toBe(true);
  });

  it("let half of what the platform may send in a poll interval be progress, and have no line without a rate", () => {
    expect(progressTurnsPerPoll(30, 30_000)).toBe(450);
    expect(progressTurnsPerPoll(30, 5_000)).toBe(75);
    expect(progressTurnsPerPoll(30, 10)).toBe(1);
    expect(progressTurnsPerPoll(Number.POSITIVE_INFINITY, 30_000)).toBe(Number.POSITIVE_INFINITY);
  });
});
