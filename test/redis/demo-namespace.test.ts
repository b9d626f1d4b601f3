import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDemoNamespace } from "../../src/redis/demo-namespace.js";
import type { RedisClient } from "../../src/redis/client.js";
import { connectTestRedis, keysUnder, productPrefix, redisTargetFor, testRedisEnv, uniquePrefix } from "../helpers/redis.js";

/** On the cluster project, the demo runs on a Redis Cluster: its prefix is hash-tagged there, as the config does. */
const env = testRedisEnv();
const target = redisTargetFor(env);
const basePrefix = () => productPrefix(env, uniquePrefix("demo"));

/** Each demo run's keys live and die with its emulator; a killed run's keys go at the next run. */
describe("the demo's namespace in Redis", () => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = connectTestRedis(env);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("gives each run a prefix of its own and removes its keys when it ends", async () => {
    const base = basePrefix();
    const first = await openDemoNamespace(target, base);
    const second = await openDemoNamespace(target, base);
    expect(first.prefix.startsWith(`${base}:demo:`)).toBe(true);
    expect(first.prefix.slice(base.length)).toMatch(/^:demo:[0-9a-f]+$/);
    expect(second.prefix).not.toBe(first.prefix);
    await redis.hset(`${first.prefix}:acct:session:terminal:you:you`, "sessionId", "s-1");
    await redis.hset(`${second.prefix}:acct:session:terminal:you:you`, "sessionId", "s-2");

    await first.close();
    expect(await keysUnder(redis, first.prefix)).toEqual([]);
    // A run still going keeps everything.
    expect(await redis.hget(`${second.prefix}:acct:session:terminal:you:you`, "sessionId")).toBe("s-2");
    await second.close();
    expect(await keysUnder(redis, base)).toEqual([]);
  });

  it("removes what a killed run left once its alive key has expired, and nothing of a live run or outside the demo", async () => {
    const base = basePrefix();
    const killed = `${base}:demo:deadbeef0000`;
    await redis.set(`${killed}:acct:user:terminal:you`, "x");
    await redis.set(`${killed}:session-work:meta`, "x");
    const live = `${base}:demo:0123456789ab`;
    await redis.set(`${live}:alive`, "1", "PX", 60_000);
    await redis.set(`${live}:acct:user:terminal:you`, "x");
    await redis.set(`${base}:acct:user:telegram:1`, "production data");

    const run = await openDemoNamespace(target, base);
    expect(await keysUnder(redis, killed)).toEqual([]);
    expect(await redis.exists(`${live}:acct:user:terminal:you`)).toBe(1);
    expect(await redis.get(`${base}:acct:user:telegram:1`)).toBe("production data");
    await run.close();
    await redis.del(`${live}:alive`, `${live}:acct:user:terminal:you`, `${base}:acct:user:telegram:1`);
  });
});
