import type { TestProject } from "vitest/node";
import { startRedisServer } from "../../src/redis/private-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One redis-server for the whole run; each test file keeps to its own key prefix (see redis.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
