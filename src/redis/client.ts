import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Socket } from "node:net";
import type { Config } from "../config.js";
import { ChatError } from "../errors.js";
import type { ClusterSeeds } from "./cluster-nodes.js";

/**
 * Every Redis connection of the bot is made here: one server (`REDIS_URL`) or a Redis Cluster
 * (`REDIS_CLUSTER_NODES`), with the same options per role either way. The rest of the code holds a
 * `RedisClient` and never asks which it got: both speak the same commands and Lua scripts, and every
 * key lives under the one hash-tagged prefix (see config.ts), so multi-key scripts stay in one slot.
 */
export type RedisClient = Redis | Cluster;

/** A `redis://` URL of one server, or a cluster's seed nodes. */
export type RedisTarget = string | { cluster: ClusterSeeds };

/**
 * - `client`: the router, accounts, quotas, rate limits, the dashboard: a command waits out a Redis
 *   restart of a few seconds (about 10 s of reconnection attempts), then fails. A message that
 *   arrives while Redis restarts is handled once it is back, not answered "try again".
 * - `producer`: the work queue a user waits on: fails fast rather than queueing commands forever.
 * - `worker`: BullMQ workers: wait out any Redis restart (`maxRetriesPerRequest: null`, BullMQ's rule).
 * None sets ioredis `keyPrefix`: BullMQ's own `prefix` namespaces every key.
 *
 * Operators: run Redis with `maxmemory-policy noeviction`. An evicting policy silently drops queue
 * keys, locks and the "message already sent" markers, which would strand jobs or re-send a turn.
 */
export type ConnectionRole = "client" | "producer" | "worker";

function roleOptions(role: ConnectionRole): RedisOptions {
  switch (role) {
    case "worker":
      return { maxRetriesPerRequest: null, enableReadyCheck: true };
    case "producer":
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
    case "client":
      return { maxRetriesPerRequest: CLIENT_RECONNECT_TRIES, enableOfflineQueue: true, connectTimeout: 5_000 };
  }
}

/**
 * ioredis fails a waiting command after this many reconnection attempts; its default back-off waits
 * 50 ms × the attempt's number (at most 2 s) before each, so 19 attempts span about 10 s (50 × 20 × 21
 * / 2 ms): a restart of a few seconds, as a deploy or a crash of redis-server causes, is waited out.
 */
export const CLIENT_RECONNECT_TRIES = 19;

/** About a minute of 100 ms retries: a primary's restart, or a replica's promotion after node-timeout. */
const WORKER_REDIRECTIONS = 600;

/** Where this process's Redis is: the cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function redisTargetOf(config: Pick<Config, "REDIS_URL" | "REDIS_CLUSTER_NODES">): RedisTarget {
  if (config.REDIS_CLUSTER_NODES) return { cluster: config.REDIS_CLUSTER_NODES };
  if (config.REDIS_URL) return config.REDIS_URL;
  throw new ChatError("config_invalid", "no Redis: neither REDIS_CLUSTER_NODES nor a resolved REDIS_URL");
}

/**
 * Commands written in one burst of callbacks leave in one socket write (writev) instead of one
 * write each: every write is a system call, and at ingest the bot spends more CPU on those than on
 * anything else. The socket is corked at the first write and uncorked in the same turn of the
 * event loop, once the I/O callbacks of that turn (each an HTTP request or a Redis reply that
 * continues some update's handling) and their promise continuations have run (setImmediate): the
 * order of commands and their replies is unchanged, and nothing waits for a timer or for I/O.
 */
function coalesceWrites(redis: Redis): Redis {
  redis.on("connect", () => {
    const stream = (redis as unknown as { stream: Socket }).stream;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    (stream as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      return write(...args);
    };
  });
  return redis;
}

export function connectRedis(target: RedisTarget, role: ConnectionRole = "client"): RedisClient {
  if (typeof target === "string") return role === "worker" ? new Redis(target, roleOptions(role)) : coalesceWrites(new Redis(target, roleOptions(role)));
  const { nodes, username, password, tls } = target.cluster;
  const { enableOfflineQueue, enableReadyCheck, ...perNode } = roleOptions(role);
  return new Cluster(nodes, {
    // A command for a primary that is down is retried every 100 ms (ioredis' failover and
    // CLUSTERDOWN delays), and each try counts as a redirection. ioredis gives up after 16, under
    // two seconds: a worker, which waits out a single Redis's restart, waits out a primary's
    // restart or failover the same way (a minute); the others keep ioredis' fail-fast default.
    ...(role === "worker" ? { maxRedirections: WORKER_REDIRECTIONS } : {}),
    // The offline queue and the ready check belong to the cluster client: its node connections
    // come and go with failovers and slot moves.
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableReadyCheck === undefined || role === "worker" ? {} : { enableReadyCheck }),
    // A worker's cluster client has no cluster-wide ready check (CLUSTER INFO's cluster_state).
    // When that check fails, as it does while a restarted primary rejoins, ioredis reconnects on its
    // own but never settles the promise of the `connect()` it was checking. BullMQ awaits exactly
    // that promise when it resets a worker's blocking connection whose fetch outlived its timeout:
    // the worker then stopped taking jobs for good. Without the check, a command sent too early
    // gets CLUSTERDOWN and is retried (`retryDelayOnClusterDown`, within `maxRedirections`), and
    // each node connection still waits for its server to finish loading (the node's ready check).
    ...(role === "worker" ? { enableReadyCheck: false } : {}),
    redisOptions: {
      ...perNode,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls: {} } : {}),
    },
    // With TLS the certificate names the host, not its address: connect by the name the cluster gives.
    ...(tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
  });
}

/** The primaries to walk for a SCAN: each answers only for the slots it holds. */
export function primariesOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}

/** Resolves when the connection is ready; rejects after `timeoutMs` (a producer must not hang). */
export async function whenReady(redis: RedisClient, timeoutMs = 5_000): Promise<void> {
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
export async function closeConnection(redis: RedisClient): Promise<void> {
  if (redis.status === "end") return;
  try {
    if (redis.status === "ready") await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
