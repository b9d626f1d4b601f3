import type { Redis } from "ioredis";

/**
 * How many script calls (EVALSHA and EVAL) the server has run, from INFO commandstats: what an
 * operator reads to see what a Redis spends its time on. The server must be the test's own, since
 * the counts are the whole server's.
 */
export async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}
