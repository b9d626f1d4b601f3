import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import type { RedisEnv } from "./redis-env.js";

export { connectTestRedis, keysUnder, productPrefix, redisTargetFor, startOwnRedis, type OwnRedis, type RedisEnv } from "./redis-env.js";

/** The redis-server started for this test run. */
export function testRedisUrl(): string {
  return inject("redisUrl");
}

/** A key prefix no other test uses, so files and tests can share the one server. */
export function uniquePrefix(name = "t"): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}

/**
 * True in the `cluster` test project (vitest.config.ts), where the same test files run against a
 * real three-primary Redis Cluster.
 */
export function onTestCluster(): boolean {
  return Boolean(inject("redisClusterNodes"));
}

/** The Redis the product under test should use: the project's cluster there, else the run's server. */
export function testRedisEnv(): RedisEnv {
  const nodes = inject("redisClusterNodes");
  return nodes ? { REDIS_CLUSTER_NODES: nodes } : { REDIS_URL: testRedisUrl() };
}
