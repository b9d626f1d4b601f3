import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connectRedis, type RedisClient } from "../../src/redis/client.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { cleanEnv, FAST_ENV, killIfRunning, startMain, type RunningProcess } from "../app/support.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { startRedisServer, type RedisServerHandle } from "./redis-server.js";

/**
 * For tests that run the real bot (`src/main.ts`) as a child process against a fake Telegram, kill
 * it at a chosen moment and start another on the same state: a redis-server of the file's own (so a
 * test may pause or inspect it without touching other files' keys), the NemoVideo emulator in the
 * test's process, and every bot and fake Telegram a test started stopped after it.
 *
 * Call at the top of a test file; the returned handles are ready inside tests.
 */
/** The bot's answer to /help (either language's opening), which these tests send as a quick command. */
export const HELP_ANSWER = /What I can do|Send me clips, images or audio/;

export interface TelegramBotProcesses {
  /** A connection to the file's own redis-server (a `worker` connection: it waits out a pause). */
  readonly redis: RedisClient;
  readonly emulator: Emulator;
  /** A fake Bot API for this test, closed after it. */
  startTelegram(): Promise<FakeTelegram>;
  /** The bot against `telegram`, under the key prefix `prefix`, with `env` on top of the shared settings; killed after the test. */
  startBot(telegram: FakeTelegram, prefix: string, env?: Record<string, string>): RunningProcess;
}

const EMULATOR_TIMING = { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 };

export function useTelegramBotProcesses(name: string): TelegramBotProcesses {
  let dir: string | undefined;
  let server: RedisServerHandle | undefined;
  let redis: RedisClient | undefined;
  let emulator: Emulator | undefined;
  const telegrams: FakeTelegram[] = [];
  const bots: RunningProcess[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("telegram bot processes: used outside a test (before beforeAll)");
    return value;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${name}-`));
    server = await startRedisServer({ appendOnly: false, dir });
    redis = connectRedis(server.url, "worker");
    emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: EMULATOR_TIMING });
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) killIfRunning(bot);
    await Promise.all(telegrams.splice(0).map((telegram) => telegram.close()));
  });
  afterAll(async () => {
    redis?.disconnect();
    await emulator?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get redis() {
      return ready(redis);
    },
    get emulator() {
      return ready(emulator);
    },
    async startTelegram() {
      const telegram = await startFakeTelegram();
      telegrams.push(telegram);
      return telegram;
    },
    startBot(telegram, prefix, env = {}) {
      const bot = startMain(
        cleanEnv({
          ...FAST_ENV,
          LOG_LEVEL: "info",
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          NEMO_API_BASE: ready(emulator).url,
          REDIS_URL: ready(server).url,
          QUEUE_PREFIX: prefix,
          EXPORT_DIR: join(ready(dir), "exports"),
          ...env,
        }),
      );
      bots.push(bot);
      return bot;
    },
  };
}
