import type { TestProject } from "vitest/node";
import { startRedisCluster } from "./redis-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set in the `cluster` project only: the seeds of its Redis Cluster. */
    redisClusterNodes: string;
  }
}

/** The `cluster` project's Redis: three primaries on loopback, shared by its files (each keeps to its own prefix). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster();
  project.provide("redisClusterNodes", cluster.seeds);
  return () => cluster.stop();
}
