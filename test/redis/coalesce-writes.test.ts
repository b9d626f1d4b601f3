import type { Socket } from "node:net";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { closeConnection, connectRedis, whenReady } from "../../src/redis/client.js";
import { onTestCluster, testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * Ingress CPU: commands sent in one burst (an update's reads, many updates' continuations after one
 * socket read) leave the bot's connection in one socket write, not one system call each.
 */
describe.skipIf(onTestCluster())("Redis command writes", () => {
  it("twenty commands sent together go out in one socket write, answered in order", async () => {
    await withCountedWrites(async (redis, writes) => {
      const key = `${uniquePrefix("coalesce")}:n`;
      const replies = await Promise.all(Array.from({ length: 20 }, () => redis.incr(key)));
      expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(writes()).toBe(1);
      await redis.del(key);
    });
  });

  it("commands from separate callbacks of one event-loop turn (as many requests' handlers) share one write", async () => {
    await withCountedWrites(async (redis, writes) => {
      const key = `${uniquePrefix("coalesce")}:n`;
      // Immediates queued together run in one turn (the loop's check phase), each callback followed by
      // its own microtasks. (Timers of 0 ms straddling a millisecond tick could fall in two turns.)
      const sent = Array.from({ length: 5 }, () => new Promise<number>((resolve, reject) => setImmediate(() => void redis.incr(key).then(resolve, reject))));
      expect((await Promise.all(sent)).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(writes()).toBe(1);
      await redis.del(key);
    });
  });
});

async function withCountedWrites(fn: (redis: Redis, writes: () => number) => Promise<void>): Promise<void> {
  const redis = connectRedis(testRedisUrl(), "client") as Redis;
  try {
    await whenReady(redis);
    // Let the connection's own start-up writes (the ready check) go out first.
    await redis.ping();
    const stream = (redis as unknown as { stream: Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void } }).stream;
    let writes = 0;
    const write = stream._write.bind(stream);
    const writev = stream._writev.bind(stream);
    stream._write = (...args: unknown[]) => {
      writes += 1;
      write(...args);
    };
    stream._writev = (...args: unknown[]) => {
      writes += 1;
      writev(...args);
    };
    await fn(redis, () => writes);
  } finally {
    await closeConnection(redis);
  }
}
