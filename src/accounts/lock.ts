import { randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { ChatError } from "../errors.js";

/**
 * A short Redis lock (SET NX PX) so that two messages arriving together from a new user make one
 * token and one session: the second caller waits, then finds what the first one made. The router
 * and the workers may run in different processes, so an in-memory lock would not do.
 */

export interface LockOptions {
  /** How long the lock lives if its holder dies (longer than the call it guards). */
  ttlMs: number;
  /** How often a waiter tries again. */
  pollMs: number;
  /** How long a waiter waits before giving up. */
  waitMs: number;
}

// Deletes the lock only if we still hold it: an expired lock may belong to someone else by now.
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

type Releasing = RedisClient & { lockRelease(key: string, holder: string): Promise<number> };

/** The release script as a command of this connection: EVALSHA, not the script's text with every release. */
function releasing(redis: RedisClient): Releasing {
  if (!("lockRelease" in redis)) redis.defineCommand("lockRelease", { numberOfKeys: 1, lua: RELEASE });
  return redis as Releasing;
}

export async function withLock<T>(redis: RedisClient, key: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const holder = randomUUID();
  const deadline = Date.now() + options.waitMs;
  while ((await redis.set(key, holder, "PX", options.ttlMs, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new ChatError("lock_timeout", `waited too long for ${key}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  try {
    return await fn();
  } finally {
    // If the release fails the lock simply expires after ttlMs.
    await releasing(redis).lockRelease(key, holder).catch(() => undefined);
  }
}
