import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testRedisUrl } from "./redis.js";

const fixture = fileURLToPath(new URL("../fixtures/worker-process.ts", import.meta.url));

/**
 * A worker in its own process (test/fixtures/worker-process.ts), so a test can SIGKILL it at a chosen
 * moment as a crash would: configured by environment variables only, writing what it would send to
 * the chat into `outboxFile`. Resolves once the process says it is ready.
 */
export async function startWorkerChild(options: {
  prefix: string;
  apiBase: string;
  exportDir: string;
  outboxFile: string;
  /** Settings on top of the defaults (timings, concurrency). */
  env?: Record<string, string>;
}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: {
      ...process.env,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: options.prefix,
      NEMO_API_BASE: options.apiBase,
      LOG_LEVEL: "silent",
      WORKER_CONCURRENCY: "4",
      EXPORT_DIR: options.exportDir,
      FIXTURE_OUTBOX_FILE: options.outboxFile,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker process exited (${String(code)}): ${stderr}`)));
  });
  return child;
}
