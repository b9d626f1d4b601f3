/**
 * The processes of one figure: a private redis-server, the fake Telegram server, the emulator and
 * bot/worker processes, each on 127.0.0.1, all stopped by `close()` whatever happened.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { EmulatorOptions } from "../../src/emulator/index.js";
import { startRedisServer, type RedisServerHandle } from "../../src/redis/private-server.js";
import { NODE_FLAGS } from "../../src/ops/node-flags.js";
import { startRedisCluster, type RedisClusterHandle } from "../../test/helpers/redis-cluster.js";
import { compiledChild } from "./build.js";
import { startChild, type ChildHandle } from "./rpc.js";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const BENCH_TMP = fileURLToPath(new URL("../tmp/", import.meta.url));
export const QUEUE_PREFIX = "bench";

export interface FakeInfo {
  apiRoot: string;
  token: string;
}

export class Stack {
  readonly dir: string;
  readonly logDir: string;
  redis: RedisServerHandle | undefined;
  /** Instead of `redis`: a local Redis Cluster of three primaries (test/helpers/redis-cluster.ts, as the `cluster` test project starts it). */
  cluster: RedisClusterHandle | undefined;
  private readonly children: ChildHandle[] = [];
  private readonly clients: Redis[] = [];

  constructor(readonly name: string) {
    this.dir = join(BENCH_TMP, name);
    rmSync(this.dir, { recursive: true, force: true });
    this.logDir = join(this.dir, "logs");
    mkdirSync(this.logDir, { recursive: true });
  }

  async startRedis(): Promise<RedisServerHandle> {
    this.redis = await startRedisServer();
    return this.redis;
  }

  async startRedisCluster(): Promise<RedisClusterHandle> {
    this.cluster = await startRedisCluster();
    return this.cluster;
  }

  /** A connection for the driver's own reads (INFO, queue counts). */
  redisClient(): Redis {
    if (!this.redis) throw new Error("no redis");
    const client = new Redis(this.redis.url, { maxRetriesPerRequest: null });
    this.clients.push(client);
    return client;
  }

  /** `timeScale` < 1 runs Telegram's limits faster (start the apps with the same `TELEGRAM_TIME_SCALE`). */
  async startFakeTelegram(options: { local?: boolean; timeScale?: number } = {}): Promise<ChildHandle<FakeInfo>> {
    const args = [...(options.local ? ["--local"] : []), ...(options.timeScale ? [`--time-scale=${options.timeScale}`] : [])];
    return this.track(await startChild<FakeInfo>({ name: "fake-telegram", file: here("./fake-telegram-child.ts"), args, env: baseEnv(), logDir: this.logDir }));
  }

  async startEmulator(options: EmulatorOptions): Promise<ChildHandle<{ url: string }>> {
    return this.track(
      await startChild<{ url: string }>({ name: "emulator", file: here("./emulator-child.ts"), args: [JSON.stringify(options)], env: baseEnv(), logDir: this.logDir }),
    );
  }

  /**
   * A bot or worker process (`startApp`) configured by `env` on top of `appEnv`, running the compiled
   * JavaScript with the image's V8 flags (src/ops/node-flags.ts) as the Docker image does (see build.ts). `nodeFlags`: more, e.g. `--expose-gc`.
   */
  async startApp(name: string, env: Record<string, string>, flags: string[] = [], nodeFlags: string[] = []): Promise<ChildHandle<{ role: string; pid: number }>> {
    return this.track(
      await startChild<{ role: string; pid: number }>({ name, file: compiledChild("app-child"), args: flags, nodeFlags: [...NODE_FLAGS, ...nodeFlags], env: { ...baseEnv(), ...env }, logDir: this.logDir, readyTimeoutMs: 120_000 }),
    );
  }

  /** The settings every bot and worker process of a figure shares. */
  appEnv(fake: FakeInfo, emulatorUrl: string, extra: Record<string, string> = {}): Record<string, string> {
    const redis: Record<string, string> | undefined = this.cluster ? { REDIS_CLUSTER_NODES: this.cluster.seeds } : this.redis ? { REDIS_URL: this.redis.url } : undefined;
    if (!redis) throw new Error("no redis");
    return {
      LOG_LEVEL: "warn",
      ...redis,
      QUEUE_PREFIX,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      NEMO_API_BASE: emulatorUrl,
      EXPORT_DIR: join(this.dir, "exports"),
      ...extra,
    };
  }

  track<T extends ChildHandle<I>, I>(child: T): T {
    this.children.push(child);
    return child;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    // Newest first: workers and bots before the servers they talk to.
    for (const child of [...this.children].reverse()) await child.stop(8_000).catch(() => child.kill());
    await this.redis?.stop().catch(() => undefined);
    await this.cluster?.stop().catch(() => undefined);
    rmSync(join(this.dir, "exports"), { recursive: true, force: true });
  }
}

/** A clean environment: nothing of the caller's own bot configuration leaks into a child. */
export function baseEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];
  const env: NodeJS.ProcessEnv = { NODE_ENV: "production" };
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
