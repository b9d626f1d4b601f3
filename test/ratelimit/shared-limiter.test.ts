import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RateLimitedError, SendSlotBusyError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { SharedRateLimiter, type Scope } from "../../src/ratelimit/shared-limiter.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/** The limiter on the test run's redis-server, as two processes of one bot use it: two connections, one key space. */
let a: Redis;
let b: Redis;
let prefix: string;
beforeEach(() => {
  a = new Redis(testRedisUrl());
  b = new Redis(testRedisUrl());
  prefix = uniquePrefix("limiter");
});
afterEach(() => {
  a.disconnect();
  b.disconnect();
});

const scope = (name: string, intervalMs: number, burst = 1): Scope => ({ key: `${prefix}:${name}`, rate: { intervalMs, burst } });

describe("the shared rate limiter", () => {
  it("spaces sends from two processes one interval apart", async () => {
    const one = new SharedRateLimiter(a, silentLogger);
    const two = new SharedRateLimiter(b, silentLogger);
    const chat = scope("chat", 60);
    const done: number[] = [];
    const asked = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? one : two).take([chat]).then(() => done.push(Date.now()))));
    // Six slots one interval apart span five intervals (less the round trips' jitter): the last send
    // goes no sooner than that after they were asked for. (Counted from the first send's return, a
    // busy machine that ran that return late made the span look short.)
    expect(Math.max(...done) - asked).toBeGreaterThanOrEqual(5 * 60 - 30);
  });

  it("takes a slot in every scope or in none: a send refused for its wait leaves no trace", async () => {
    const limiter = new SharedRateLimiter(a, silentLogger);
    const bot = scope("bot", 10);
    const busyChat = scope("chat:busy", 5_000);
    await limiter.take([bot, busyChat]);
    const refused = await limiter.take([bot, busyChat], { maxWaitMs: 100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(4_000);
    // The refused send took no slot of the bot's: another chat's send is not pushed back by it.
    const started = Date.now();
    await limiter.take([bot, scope("chat:other", 5_000)]);
    expect(Date.now() - started).toBeLessThan(60);
  });

  it("a busy chat's queue holds back its own sends only: another chat's send goes before that chat's next one", async () => {
    const limiter = new SharedRateLimiter(a, silentLogger);
    const bot = scope("bot", 30);
    const group = scope("chat:group", 1_500);
    await limiter.take([bot, group]);
    const order: string[] = [];
    // The group's next slot is 1.5 s away; a private chat's send comes after it in time of asking.
    const groupSend = limiter.take([bot, group]).then(() => order.push("group"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await limiter.take([bot, scope("chat:private", 1_000)]).then(() => order.push("private"));
    await groupSend;
    expect(order).toEqual(["private", "group"]);
  });

  it("a short-wait send is refused from memory while the queue is known to be longer: no Redis round trip each time", async () => {
    const limiter = new SharedRateLimiter(a, silentLogger);
    const commands = a as unknown as { rateLimitReserve: (...args: unknown[]) => Promise<unknown> };
    const reserve = commands.rateLimitReserve.bind(a);
    let roundTrips = 0;
    commands.rateLimitReserve = (...args) => {
      roundTrips += 1;
      return reserve(...args);
    };
    const bot = scope("bot", 2_000);
    // An answer takes the bot's slot: the next one is 2 s away.
    await limiter.take([bot]);
    expect(roundTrips).toBe(1);
    for (let i = 0; i < 10; i++) {
      const refused = await limiter.take([bot, scope(`chat:${i}`, 1_000)], { maxWaitMs: 100 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SendSlotBusyError);
      expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(1_500);
    }
    expect(roundTrips).toBe(1);
    // Another process's queue is not known here: it asks Redis, learns, then refuses from memory too.
    const other = new SharedRateLimiter(b, silentLogger);
    await expect(other.take([bot], { maxWaitMs: 100 })).rejects.toBeInstanceOf(SendSlotBusyError);
    await expect(other.take([bot], { maxWaitMs: 3_000 })).resolves.toBeUndefined();
  });

  it("a pause holds every process's sends in that scope until it ends", async () => {
    const one = new SharedRateLimiter(a, silentLogger);
    const two = new SharedRateLimiter(b, silentLogger);
    const chat = scope("chat", 10);
    await one.pause([chat], 300);
    const started = Date.now();
    await two.take([chat]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it("keeps its keys under the prefix and lets them expire once they no longer hold anyone back", async () => {
    const limiter = new SharedRateLimiter(a, silentLogger);
    await limiter.take([scope("chat", 1_000)]);
    const ttl = await a.pttl(`${prefix}:chat`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
  });

  it("lets sends through when Redis is unreachable (the platform's own 429s are the backstop)", async () => {
    const gone = new Redis({ port: 1, host: "127.0.0.1", lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await expect(new SharedRateLimiter(gone, silentLogger).take([scope("chat", 1_000)])).resolves.toBeUndefined();
    } finally {
      gone.disconnect();
    }
  });
});
