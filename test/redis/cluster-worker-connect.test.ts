import { Cluster, Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { closeConnection, connectRedis, whenReady, type RedisClient } from "../../src/redis/client.js";
import { clusterUnsupportedReason, startRedisCluster, type RedisClusterHandle } from "../helpers/redis-cluster.js";
import { redisTargetFor } from "../helpers/redis.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether `work` settles (resolves or rejects) within `ms`. */
async function settles(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function clusterState(port: number): Promise<string | undefined> {
  const node = new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const info = String(await node.call("CLUSTER", "INFO"));
    return /cluster_state:(\w+)/.exec(info)?.[1];
  } finally {
    node.disconnect();
  }
}

/**
 * A BullMQ worker whose fetch of its next job outlives its timeout (as one does across a primary's
 * restart) resets its blocking connection: it disconnects the cluster client and awaits its
 * `connect()`. While a restarted primary rejoins, the cluster reports `cluster_state:fail`; a
 * cluster-wide ready check that sees it made ioredis reconnect on its own and leave that `connect()`
 * unsettled forever, and the worker stopped taking jobs. Here every primary reports `fail` for as
 * long as the test needs (one slot is left unassigned), and the worker's connection must still connect.
 */
describe.skipIf(clusterUnsupportedReason() !== undefined)("a worker's cluster connection while the cluster reports itself failing", () => {
  let cluster: RedisClusterHandle | undefined;
  let redis: RedisClient | undefined;
  afterEach(async () => {
    if (redis) await closeConnection(redis);
    await cluster?.stop();
    redis = undefined;
    cluster = undefined;
  });

  it("connect() after a disconnect settles, as BullMQ's reset of its blocking connection awaits it", { timeout: 60_000 }, async () => {
    cluster = await startRedisCluster();
    redis = connectRedis(redisTargetFor({ REDIS_CLUSTER_NODES: cluster.seeds }), "worker");
    redis.on("error", () => undefined);
    await whenReady(redis, 10_000);
    expect(redis).toBeInstanceOf(Cluster);
    const client = redis as Cluster;

    // Slot 0 unassigned on every primary: each reports cluster_state:fail (full coverage is required).
    for (const port of cluster.ports) {
      const node = new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await node.call("CLUSTER", "DELSLOTS", "0");
      node.disconnect();
    }
    for (let tries = 0; ; tries += 1) {
      const states = await Promise.all(cluster.ports.map((port) => clusterState(port)));
      if (states.every((state) => state === "fail")) break;
      if (tries > 100) throw new Error(`the cluster never reported fail: ${states.join(",")}`);
      await sleep(100);
    }

    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
    client.disconnect();
    await ended;
    expect(await settles(client.connect(), 10_000)).toBe(true);
  });
});
