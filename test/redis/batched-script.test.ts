import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchedScript, MAX_BATCH } from "../../src/redis/batched-script.js";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.js";
import { scriptCalls } from "../helpers/script-calls.js";
import { uniquePrefix } from "../helpers/redis.js";

/**
 * The calls of one script made in one turn of the event loop reach Redis as one script call, each
 * caller answered with its own reply, in the order the calls were made.
 */

// A call: adds ARGV[1] to the list KEYS[1] and answers its length; 'fail' answers an error, 'crash' raises one.
const BODY = `
if ARGV[1] == 'fail' then return redis.error_reply('refused ' .. KEYS[1]) end
if ARGV[1] == 'crash' then return redis.call('INCR', KEYS[1]) end
return redis.call('RPUSH', KEYS[1], ARGV[1])
`;

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

describe("a script batched over the calls of one turn", () => {
  it("twenty calls made together are one script call; each caller gets its own reply, in call order", async () => {
    const script = new BatchedScript(redis, { name: "testPush", body: BODY, keys: 1, args: 1 });
    const key = `${uniquePrefix("batch")}:list`;
    // The first call loads the script (EVALSHA answered NOSCRIPT, then EVAL): not what is counted.
    await script.call([`${key}:warm`], ["w"]);
    const before = await scriptCalls(redis);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => script.call([key], [String(i)])));
    expect(await scriptCalls(redis)).toBe(before + 1);
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await redis.lrange(key, 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it("calls from separate callbacks of one turn share the call; more than the most per batch go in order", async () => {
    const script = new BatchedScript(redis, { name: "testPush", body: BODY, keys: 1, args: 1 });
    const key = `${uniquePrefix("batch")}:list`;
    await script.call([`${key}:warm`], ["w"]);
    const before = await scriptCalls(redis);
    const n = MAX_BATCH + 5;
    // Immediates queued together run in one turn, each followed by its own microtasks (as the
    // handlers of many HTTP requests or Redis replies read in one go).
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => new Promise((resolve, reject) => setImmediate(() => void script.call([key], [String(i)]).then(resolve, reject)))),
    );
    expect(await scriptCalls(redis)).toBe(before + 2);
    expect(replies).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await redis.lrange(key, 0, -1)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it("an error in one call fails that caller only; the others' calls are made", async () => {
    const script = new BatchedScript(redis, { name: "testPush", body: BODY, keys: 1, args: 1 });
    const prefix = uniquePrefix("batch");
    await redis.set(`${prefix}:text`, "not a number");
    const before = await scriptCalls(redis);
    const settled = await Promise.allSettled([
      script.call([`${prefix}:a`], ["1"]),
      script.call([`${prefix}:b`], ["fail"]),
      script.call([`${prefix}:text`], ["crash"]),
      script.call([`${prefix}:a`], ["2"]),
    ]);
    expect(await scriptCalls(redis)).toBeLessThanOrEqual(before + 2);
    expect(settled[0]).toEqual({ status: "fulfilled", value: 1 });
    expect(settled[1]).toMatchObject({ status: "rejected", reason: { message: `refused ${prefix}:b` } });
    expect(settled[2]).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("not an integer") } });
    expect(settled[3]).toEqual({ status: "fulfilled", value: 2 });
    expect(await redis.lrange(`${prefix}:a`, 0, -1)).toEqual(["1", "2"]);
  });

  it("a failed command fails every caller of its batch", async () => {
    // A connection closed already: the command fails as it is sent.
    const closed = new Redis(server.url);
    await closed.quit();
    const script = new BatchedScript(closed, { name: "testPush", body: BODY, keys: 1, args: 1 });
    const settled = await Promise.allSettled([script.call(["k1"], ["1"]), script.call(["k2"], ["2"])]);
    expect(settled).toMatchObject([
      { status: "rejected", reason: { message: "Connection is closed." } },
      { status: "rejected", reason: { message: "Connection is closed." } },
    ]);
  });

  it("a call with the wrong number of keys or args is refused before anything is sent", async () => {
    const script = new BatchedScript(redis, { name: "testPush", body: BODY, keys: 1, args: 1 });
    await expect(script.call(["a", "b"], ["1"])).rejects.toThrow(/2 keys and 1 args/);
  });
});
