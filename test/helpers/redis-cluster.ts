import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, ping } from "../../src/redis/private-server.js";

/**
 * A real Redis Cluster on loopback for tests: three primaries (`redis-server --cluster-enabled yes`)
 * joined by `redis-cli --cluster create`, no replicas. A primary can be stopped and started again on
 * the same port and directory: it keeps its slots (nodes.conf) and, with AOF on, its data.
 */
export interface RedisClusterHandle {
  /** `127.0.0.1:a,127.0.0.1:b,127.0.0.1:c`, as REDIS_CLUSTER_NODES takes it. */
  seeds: string;
  ports: number[];
  dir: string;
  /** The primary holding `key`'s slot. */
  portOf(key: string): Promise<number>;
  stopNode(port: number): Promise<void>;
  startNode(port: number): Promise<void>;
  /** Resolves once every primary reports `cluster_state:ok`. */
  whenOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Why no cluster can be started here, or undefined when one can (redis-cli ≥ 5 creates clusters). */
export function clusterUnsupportedReason(): string | undefined {
  const server = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (server.status !== 0) return "redis-server is not installed";
  const major = Number(/v=(\d+)\./.exec(server.stdout)?.[1]);
  if (!(major >= 5)) return `redis-server ${server.stdout.trim()} predates redis-cli --cluster (Redis 5)`;
  const cli = spawnSync("redis-cli", ["--version"], { encoding: "utf8" });
  if (cli.status !== 0) return "redis-cli is not installed (Debian: redis-tools, a dependency of redis-server)";
  return undefined;
}

export interface StartClusterOptions {
  primaries?: number;
  /** AOF on, so a primary stopped and started again finds its keys. */
  appendOnly?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startRedisCluster(options: StartClusterOptions = {}): Promise<RedisClusterHandle> {
  const count = options.primaries ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "nemo-cluster-"));
  const ports: number[] = [];
  const children = new Map<number, ChildProcess>();

  const startNode = async (port: number): Promise<void> => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir, { recursive: true });
    const child = spawn(
      "redis-server",
      [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", `nodes-${port}.conf`,
        // A restarted primary is the same node again; no replica may take over its slots meanwhile.
        "--cluster-node-timeout", "5000",
        "--save", "",
        "--appendonly", options.appendOnly ? "yes" : "no",
        "--dir", nodeDir,
        "--maxmemory-policy", "noeviction",
      ],
      { stdio: "ignore" },
    );
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    children.set(port, child);
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (exited) throw new Error(`redis-server --cluster-enabled yes exited at start on port ${port}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await sleep(20);
    }
  };

  const stopNode = async (port: number): Promise<void> => {
    const child = children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  };

  const clusterState = async (port: number): Promise<string> => {
    const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      const info = String(await redis.call("CLUSTER", "INFO"));
      return /cluster_state:(\w+)/.exec(info)?.[1] ?? "unknown";
    } catch {
      return "unreachable";
    } finally {
      redis.disconnect();
    }
  };

  const whenOk = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(ports.map(clusterState));
      if (states.every((s) => s === "ok")) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ok after ${timeoutMs} ms: ${states.join(", ")}`);
      await sleep(100);
    }
  };

  const stop = async (): Promise<void> => {
    await Promise.all([...children.keys()].map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < count; i++) ports.push(await freePort());
    await Promise.all(ports.map(startNode));
    const create = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    await whenOk();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(","),
    ports,
    dir,
    async portOf(key) {
      const probe = new Redis({ port: ports[0] as number, host: "127.0.0.1", maxRetriesPerRequest: 1 });
      try {
        const slot = Number(await probe.call("CLUSTER", "KEYSLOT", key));
        const ranges = (await probe.call("CLUSTER", "SLOTS")) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!owner) throw new Error(`no primary holds slot ${slot}`);
        return owner[2][1];
      } finally {
        probe.disconnect();
      }
    },
    stopNode,
    startNode,
    whenOk,
    stop,
  };
}
