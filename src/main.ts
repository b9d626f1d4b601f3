/**
 * `npm start`: everything in one process. With no chat token set it opens a terminal chat, and
 * with no NEMO_API_BASE either it runs against the built-in emulator (demo mode). `ROLE=bot` or
 * `ROLE=worker` runs one half, so workers can scale out against one Redis.
 */
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { createTerminalAdapter, type TerminalAdapter } from "../adapters/terminal/index.js";
import { startApp, type App } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import type * as EmulatorModule from "./emulator/index.js";
import type { Emulator } from "./emulator/index.js";
import { localeFromTag } from "./i18n/index.js";
import { textOf } from "./error-shape.js";
import { createLogger, scrubSecrets, type Logger } from "./log.js";
import { redisTargetOf } from "./redis/client.js";
import { resolveRedis, type ResolvedRedis } from "./redis/connect.js";
import { openDemoNamespace, type DemoNamespace } from "./redis/demo-namespace.js";

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  const terminalChat = !config.TELEGRAM_BOT_TOKEN && !config.DISCORD_TOKEN && config.ROLE !== "worker";
  // In the terminal chat, logs would interleave with the conversation: only warnings, unless asked.
  const level = terminalChat && !process.env.LOG_LEVEL ? "warn" : config.LOG_LEVEL;
  const logger = createLogger({ level, pretty: Boolean(process.stderr.isTTY) });

  let emulator: Emulator | undefined;
  if (terminalChat && !process.env.NEMO_API_BASE) {
    emulator = await startDemoEmulator(logger);
    config = { ...config, NEMO_API_BASE: emulator.url };
    console.log("demo mode: local NemoVideo emulator; set NEMO_API_BASE to use the real service");
  }

  // A cluster is the operator's to run; one server may be found or started here.
  let redis: ResolvedRedis | undefined;
  if (config.REDIS_CLUSTER_NODES) {
    logger.info({ seeds: config.REDIS_CLUSTER_NODES.nodes.length, prefix: config.QUEUE_PREFIX }, "Redis Cluster (REDIS_CLUSTER_NODES)");
  } else {
    try {
      redis = await resolveRedis(config.REDIS_URL, resolve(".data/redis"));
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(3);
    }
    if (redis.origin === "private") logger.info({ url: redis.url }, "started a private redis-server (data in .data/redis)");
    config = { ...config, REDIS_URL: redis.url };
  }

  // The demo's emulator starts empty on every run: its users and sessions must not outlive it in Redis.
  let demo: DemoNamespace | undefined;
  if (emulator) {
    demo = await openDemoNamespace(redisTargetOf(config), config.QUEUE_PREFIX);
    config = { ...config, QUEUE_PREFIX: demo.prefix };
  }

  let terminal: TerminalAdapter | undefined;
  // Assigned after the terminal adapter exists: its idle wait needs the app.
  let app: App | undefined = undefined;
  if (terminalChat) {
    const exportDir = resolve(config.EXPORT_DIR);
    terminal = createTerminalAdapter({
      input: process.stdin,
      output: process.stdout,
      exportDir,
      user: { userId: userInfo().username || "you", userName: userInfo().username, locale: localeFromTag(process.env.LANG) },
      logger,
      whenIdle: () => app?.whenIdle() ?? Promise.resolve(),
    });
    console.log(`Terminal chat. Type what you want; /upload <path> sends a file; /quit leaves. Videos are saved in ${exportDir}`);
  }

  app = await startApp({ config, logger, ...(terminal ? { adapters: [terminal] } : {}) });

  let stopping = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    await app?.close().catch((error: unknown) => logger.error({ err: error }, "closing the app failed"));
    await demo?.close().catch((error: unknown) => logger.warn({ err: error }, "removing the demo's keys from Redis failed"));
    await emulator?.close().catch(() => undefined);
    await redis?.privateServer?.stop().catch(() => undefined);
  };
  // A promise nobody awaited failed: log it (secrets scrubbed) rather than lose every item in flight.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  process.once("SIGTERM", () => void shutdown("SIGTERM").then(() => process.exit(0)));
  process.once("SIGINT", () => void shutdown("SIGINT").then(() => process.exit(0)));
  // A private redis-server must not outlive us, even on a crash.
  process.once("exit", () => redis?.privateServer?.process.kill("SIGKILL"));

  if (terminal) {
    await terminal.finished;
    await shutdown("terminal chat ended");
    process.exit(0);
  }
}

/**
 * The emulator is demo code: production (a chat token or NEMO_API_BASE set) never loads it, and the
 * compiled image does not ship it, so there it ends with a clear word instead of a stack.
 */
async function startDemoEmulator(logger: Logger): Promise<Emulator> {
  let emulatorModule: typeof EmulatorModule;
  try {
    emulatorModule = await import("./emulator/index.js");
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" && textOf(error).includes("emulator");
    if (!missing) throw error;
    console.error("demo mode needs the NemoVideo emulator, which this build does not include: set NEMO_API_BASE and a chat token, or run `npm start` in a checkout");
    process.exit(2);
  }
  return emulatorModule.startEmulator({ logger: logger.child({ component: "emulator" }) });
}

main().catch((error: unknown) => {
  console.error(scrubSecrets(error instanceof Error ? (error.stack ?? textOf(error)) : textOf(error)));
  process.exit(1);
});
