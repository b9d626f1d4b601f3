import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateClaims, updateItemField, updateItemsKey } from "../../src/chat/update-claims.js";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.js";
import { scriptCalls } from "../helpers/script-calls.js";
import { uniquePrefix } from "../helpers/redis.js";

/**
 * The first reads of updates handled together (a getUpdates answer's, concurrent webhook POSTs')
 * reach Redis as ONE script call, where each used to be a call of its own; each caller's answer is
 * the one it would have had alone, the reads applied in the order they were made.
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

describe("first reads made together: one script call", () => {
  it("each update's state, its user's language and a slot in their rate, for forty updates in one call", async () => {
    const prefix = uniquePrefix("first-reads");
    const claims = new UpdateClaims(redis, prefix);
    // The first call loads the script (EVALSHA answered NOSCRIPT, then EVAL): not what is counted.
    await claims.read("warm-up", {});
    await claims.markHandled("handled");
    await redis.hset(updateItemsKey(prefix, "half-queued"), updateItemField(0), "item-1");
    await redis.hset(`${prefix}:prefs:zh`, "lang", "zh-CN");
    const rate = (user: string) => ({ key: `${prefix}:msgrate:${user}`, intervalMs: 60_000, toleranceMs: 0 });
    const news = Array.from({ length: 36 }, (_, i) => `new-${i}`);

    const before = await scriptCalls(redis);
    const [handled, halfQueued, chinese, ...rest] = await Promise.all([
      claims.read("handled", {}),
      claims.read("half-queued", { languageKey: `${prefix}:prefs:none` }),
      claims.read("zh-1", { languageKey: `${prefix}:prefs:zh` }),
      // One user's two messages in one call: the first takes the rate's only slot, the second waits.
      claims.read("busy-1", { rate: rate("busy") }),
      claims.read("busy-2", { rate: rate("busy") }),
      ...news.map((update) => claims.read(update, { rate: rate(update) })),
    ]);
    expect(await scriptCalls(redis)).toBe(before + 1);

    expect(handled).toEqual({ handled: true, queuedItems: 0 });
    expect(halfQueued).toEqual({ handled: false, queuedItems: 1, language: null });
    expect(chinese).toEqual({ handled: false, queuedItems: 0, language: "zh-CN" });
    const [busyFirst, busySecond, ...fresh] = rest;
    expect(busyFirst).toEqual({ handled: false, queuedItems: 0, rate: { granted: true } });
    expect(busySecond).toEqual({ handled: false, queuedItems: 0, rate: { granted: false, waitMs: expect.any(Number) } });
    expect(busySecond?.rate).toMatchObject({ waitMs: expect.toSatisfy((ms: number) => ms > 50_000) });
    expect(fresh).toEqual(news.map(() => ({ handled: false, queuedItems: 0, rate: { granted: true } })));
  });
});
