import { Redis } from "ioredis";

/**
 * The two kinds of Redis connection BullMQ's rules ask for. Workers wait out a Redis restart
 * (`maxRetriesPerRequest: null`: a blocking worker command must never give up). Producers (the
 * router submitting work while a user waits) fail fast instead of queueing commands forever.
 * Neither sets ioredis `keyPrefix`: BullMQ's own `prefix` namespaces every key.
 *
 * Operators: run Redis with `maxmemory-policy noeviction`. An evicting policy silently drops queue
 * keys, locks and the "message already sent" markers, which would strand jobs or re-send a turn.
 */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export function producerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 });
}

/** Resolves when the connection is ready; rejects after `timeoutMs` (a producer must not hang). */
export async function whenReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off("ready", onReady);
    };
    redis.on("ready", onReady);
  });
}

/** Closes a connection politely (QUIT), falling back to a hard disconnect when Redis is gone. */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    if (redis.status === "ready") await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
