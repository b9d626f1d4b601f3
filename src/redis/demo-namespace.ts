import { randomBytes } from "node:crypto";
import type { RedisClient } from "./client.js";
import { connectRedis, primariesOf, type RedisTarget } from "./client.js";

/**
 * Demo mode's place in Redis. The demo's emulator lives only as long as its process, but Redis (the
 * one on 127.0.0.1:6379, or the private one keeping its data in .data/redis) outlives it: a session
 * remembered from an earlier run points at an emulator that is gone, and every later run would open
 * with "NemoVideo no longer had your previous project". So each demo run keeps its users, sessions
 * and queues under a prefix of its own, exactly as fresh as its emulator, and removes them when it
 * ends. A run that was killed cannot clean up: its `alive` key expires, and the next demo run
 * removes what it left.
 */
export interface DemoNamespace {
  /** The QUEUE_PREFIX of this run: `<base>:demo:<id>`. */
  readonly prefix: string;
  /** Removes every key of this run. */
  close(): Promise<void>;
}

export interface DemoNamespaceOptions {
  /** How long the `alive` key outlives its last renewal (renewed every quarter of it). */
  aliveMs?: number;
}

const DEFAULT_ALIVE_MS = 120_000;

export async function openDemoNamespace(target: RedisTarget, basePrefix: string, options: DemoNamespaceOptions = {}): Promise<DemoNamespace> {
  const aliveMs = options.aliveMs ?? DEFAULT_ALIVE_MS;
  const root = `${basePrefix}:demo`;
  const prefix = `${root}:${randomBytes(6).toString("hex")}`;
  const redis = connectRedis(target, "client");
  const alive = aliveKey(prefix);
  try {
    await redis.set(alive, String(process.pid), "PX", aliveMs);
    await removeAbandoned(redis, root, prefix);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const renew = setInterval(() => {
    redis.set(alive, String(process.pid), "PX", aliveMs).catch(() => undefined);
  }, aliveMs / 4);
  renew.unref();

  let closed = false;
  return {
    prefix,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(renew);
      try {
        await removeKeys(redis, `${escapeGlob(prefix)}:*`);
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
}

function aliveKey(prefix: string): string {
  return `${prefix}:alive`;
}

/** Earlier demo runs whose `alive` key has expired: killed before they could clean up. */
async function removeAbandoned(redis: RedisClient, root: string, own: string): Promise<void> {
  const runs = new Set<string>();
  for (const primary of primariesOf(redis)) {
    for await (const keys of primary.scanStream({ match: `${escapeGlob(root)}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const id = key.slice(root.length + 1).split(":")[0];
        if (id) runs.add(`${root}:${id}`);
      }
    }
  }
  for (const run of runs) {
    if (run === own || (await redis.exists(aliveKey(run))) === 1) continue;
    await removeKeys(redis, `${escapeGlob(run)}:*`);
  }
}

/**
 * On a cluster each primary is scanned for the keys it holds and unlinks them itself; one batch is
 * one slot there, as the prefix carries the hash tag.
 */
async function removeKeys(redis: RedisClient, match: string): Promise<void> {
  for (const primary of primariesOf(redis)) {
    for await (const keys of primary.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await primary.unlink(...keys);
    }
  }
}

/** A prefix as a literal in a SCAN pattern (`{nemo}` is fine; `*`, `?`, `[` and `\` are not). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
