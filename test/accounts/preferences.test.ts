import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RedisPreferences } from "../../src/accounts/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

it("a /lang choice holds at once in this process, and a change made elsewhere is seen within a minute", async () => {
  let now = 1_000_000;
  const prefix = uniquePrefix("prefs");
  const here = new RedisPreferences(redis, prefix, () => now);
  const elsewhere = new RedisPreferences(redis, prefix, () => now);

  expect(await here.locale("telegram:1")).toBeUndefined();
  await here.setLocale("telegram:1", "zh-CN");
  expect(await here.locale("telegram:1")).toBe("zh-CN");

  await elsewhere.setLocale("telegram:1", "en");
  now += 61_000;
  expect(await here.locale("telegram:1")).toBe("en");

  await here.setLocale("telegram:1", undefined);
  expect(await here.locale("telegram:1")).toBeUndefined();
  expect(await new RedisPreferences(redis, prefix).locale("telegram:1")).toBeUndefined();
});
