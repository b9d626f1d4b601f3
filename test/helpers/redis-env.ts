import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectRedis, primariesOf, whenReady, type RedisClient, type RedisTarget } from "../../src/redis/client.js";
import { hashTagged, parseClusterNodes } from "../../src/redis/cluster-nodes.js";
import { startRedisServer } from "../../src/redis/private-server.js";
import { startRedisCluster } from "./redis-cluster.js";

/** How the product is pointed at a Redis: one server, or a Redis Cluster's seeds. */
export type RedisEnv = { REDIS_URL: string } | { REDIS_CLUSTER_NODES: string };

/** Where `env` points, as the product's connection factory takes it. */
export function redisTargetFor(env: RedisEnv): RedisTarget {
  if ("REDIS_URL" in env) return env.REDIS_URL;
  const seeds = parseClusterNodes(env.REDIS_CLUSTER_NODES);
  if ("problems" in seeds) throw new Error(seeds.problems.join("; "));
  return { cluster: seeds };
}

/** A connection of the test's own (reading what the product wrote), through the product's factory. */
export function connectTestRedis(env: RedisEnv): RedisClient {
  return connectRedis(redisTargetFor(env), "worker");
}

/** The key prefix the product derives from QUEUE_PREFIX on this Redis (hash-tagged on a cluster). */
export function productPrefix(env: RedisEnv, prefix: string): string {
  return "REDIS_CLUSTER_NODES" in env ? hashTagged(prefix) : prefix;
}

/** Every key under `prefix` (every key with `""`), from every primary. */
export async function keysUnder(redis: RedisClient, prefix: string): Promise<string[]> {
  const match = prefix ? `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:*` : "*";
  const keys: string[] = [];
  // A cluster client knows its primaries only once it has connected.
  await whenReady(redis, 10_000);
  for (const primary of primariesOf(redis)) {
    for await (const batch of primary.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
  }
  return keys;
}

/**
 * A Redis of a test's own: a redis-server, or a three-primary cluster. With
 * `appendOnly` its data survives `crash()` + `recover()` (the primary holding `key` on a cluster).
 */
export interface OwnRedis {
  env: RedisEnv;
  crash(key: string): Promise<void>;
  recover(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(options: { cluster: boolean; appendOnly?: boolean }): Promise<OwnRedis> {
  if (options.cluster) {
    const cluster = await startRedisCluster({ appendOnly: options.appendOnly ?? false });
    let down: number | undefined;
    return {
      env: { REDIS_CLUSTER_NODES: cluster.seeds },
      async crash(key) {
        down = await cluster.portOf(key);
        await cluster.stopNode(down);
      },
      async recover() {
        if (down === undefined) return;
        await cluster.startNode(down);
        await cluster.whenOk();
        down = undefined;
      },
      stop: () => cluster.stop(),
    };
  }
  // A directory of our own: the server's own would go with it on a crash.
  const dir = mkdtempSync(join(tmpdir(), "nemo-own-redis-"));
  const appendOnly = options.appendOnly ?? false;
  let server = await startRedisServer({ appendOnly, dir });
  const { port } = server;
  return {
    env: { REDIS_URL: server.url },
    async crash() {
      await server.stop();
    },
    async recover() {
      server = await startRedisServer({ appendOnly, port, dir });
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
