import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeConnection, connectRedis, type RedisClient } from "../../src/redis/client.js";
import { startRedisServer, type RedisServerHandle } from "../../src/redis/private-server.js";

/**
 * The router's and the accounts' connection (`client`): a Redis restart of a few seconds (a deploy,
 * redis-server crashing and coming back) is waited out, so a message that arrives meanwhile is
 * handled when Redis is back instead of answered "Something went wrong, try again".
 */
describe("the client connection across a Redis restart", () => {
  let server: RedisServerHandle | undefined;
  let redis: RedisClient | undefined;
  afterEach(async () => {
    if (redis) await closeConnection(redis);
    await server?.stop();
  });

  it("a command sent while redis-server is down for 3 s completes once it is back", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "client-restart-"));
    server = await startRedisServer({ appendOnly: true, dir });
    const { port } = server;
    redis = connectRedis(server.url, "client");
    redis.on("error", () => undefined);
    await redis.set("before", "1");

    await server.stop();
    const claim = redis.set("update:1", "1", "EX", 60, "NX");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    server = await startRedisServer({ appendOnly: true, port, dir });

    await expect(claim).resolves.toBe("OK");
    expect(await redis.get("before")).toBe("1");
    await server.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
});
