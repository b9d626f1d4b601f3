import { ChatError } from "../errors.js";
import { ping, startRedisServer, type RedisServerHandle } from "./private-server.js";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

export interface ResolvedRedis {
  url: string;
  /** Set when this process started its own redis-server; stop it on exit. */
  privateServer?: RedisServerHandle;
  /** Where the URL came from, for the start-up line. */
  origin: "REDIS_URL" | "local" | "private";
}

/**
 * `REDIS_URL` when set; else a Redis answering on 127.0.0.1:6379; else a private redis-server
 * started for this process when one is installed (keeping its data under `dataDir`); else a clear
 * error saying what to install or set.
 */
export async function resolveRedis(redisUrl: string | undefined, dataDir: string): Promise<ResolvedRedis> {
  if (redisUrl) return { url: redisUrl, origin: "REDIS_URL" };
  if (await ping(6379)) return { url: "redis://127.0.0.1:6379", origin: "local" };
  const installed = spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;
  if (!installed) {
    throw new ChatError(
      "redis_missing",
      "No Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:6379 and redis-server is not installed.\n" +
        "  Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379.",
    );
  }
  mkdirSync(dataDir, { recursive: true });
  // AOF on so that queued work survives a restart of the bot, as it would with a real Redis.
  const server = await startRedisServer({ appendOnly: true, dir: dataDir });
  return { url: server.url, privateServer: server, origin: "private" };
}
