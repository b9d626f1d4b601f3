import { randomBytes } from "node:crypto";
import { inject } from "vitest";

/** The redis-server started for this test run. */
export function testRedisUrl(): string {
  return inject("redisUrl");
}

/** A key prefix no other test uses, so files and tests can share the one server. */
export function uniquePrefix(name = "t"): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}
