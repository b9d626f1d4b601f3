import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTelegramAdapter, type TelegramAdapter } from "../../adapters/telegram/index.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { FAST_E2E_ENV, TELEGRAM_TIME_SCALE, TINY_TUNING } from "../helpers/tuning.js";
import { captureLogger, FAST_TUNING, limiterRedis } from "./harness.js";

/**
 * Telegram delivers an update again when the bot never confirmed it (a process killed after
 * `getUpdates` answered) and retries a webhook that was not answered in time. Either way the
 * user's message must reach the backend once: a turn sent twice is charged twice.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tg-redelivery-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fake: FakeTelegram;
let emulator: Emulator;
let redis: Redis;
let captured: ReturnType<typeof captureLogger>;
let logLines: string[];
const apps: App[] = [];
let server: Server | undefined;

beforeEach(async () => {
  fake = await startFakeTelegram({ timeScale: TELEGRAM_TIME_SCALE });
  redis = limiterRedis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 } });
  // One log for every bot process of a test.
  captured = captureLogger();
  logLines = captured.lines;
});

afterEach(async () => {
  server?.close();
  server = undefined;
  for (const app of apps.splice(0)) await app.close();
  await emulator.close();
  await fake.close();
  redis.disconnect();
});

function configFor(prefix: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: "debug",
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    NEMO_API_BASE: emulator.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    TOKEN_KEY: "33".repeat(32),
    EXPORT_DIR: join(dir, "exports"),
    ...FAST_E2E_ENV,
    ...env,
  });
}

/** One bot process (router and workers) on the shared Redis and prefix. */
async function startBot(config: Config): Promise<{ app: App; telegram: TelegramAdapter }> {
  const telegram = createTelegramAdapter(config, { logger: captured.logger, skill: skillProfile(config.SKILL_PROFILE), redis, tuning: FAST_TUNING });
  const app = await startApp({ config, logger: captured.logger, adapters: [telegram], workerTuning: TINY_TUNING });
  apps.push(app);
  return { app, telegram };
}

const dropped = () => logLines.some((line) => line.includes("duplicate update dropped"));

describe("a re-delivered Telegram update runs once", () => {
  it("long polling: a restarted bot handed the same update again drops it", async () => {
    const config = configFor(uniquePrefix("tg-redeliver"));
    const first = await startBot(config);
    const chat = 9301;
    const { updateId } = fake.userSends({ chatId: chat, text: "make the intro shorter" });
    await vi.waitFor(() => expect(emulator.counters.runSseTotal()).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    await first.app.whenIdle({ pollMs: 50 });
    await first.app.close();

    // As if the first process had died before its next getUpdates confirmed the offset.
    fake.redeliver(updateId);
    const second = await startBot(config);
    await vi.waitFor(() => expect(dropped() || emulator.counters.runSseTotal() > 1).toBe(true), { timeout: 20_000, interval: 50 });
    await second.app.whenIdle({ pollMs: 50 });

    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(dropped()).toBe(true);
    // One status message for the one turn, not a second "Thinking…".
    expect(fake.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
  });

  it("webhook: the same update POSTed twice (Telegram retrying) is handled once", async () => {
    const config = configFor(uniquePrefix("tg-redeliver-hook"), { TELEGRAM_WEBHOOK_URL: "https://bot.example.test/telegram", TELEGRAM_WEBHOOK_SECRET: "s3cret-webhook" });
    const { app, telegram } = await startBot(config);
    const handler = telegram.webhookHandler;
    expect(handler).toBeDefined();
    const hook = createServer((req, res) => void handler?.(req, res));
    server = hook;
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/telegram`;

    const chat = 9302;
    // The fake keeps the update (no getUpdates in webhook mode): POST it as Telegram would, twice at once.
    const { updateId } = fake.userSends({ chatId: chat, text: "add upbeat music" });
    const body = JSON.stringify(fake.updateById(updateId));
    const post = () => fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-webhook" }, body });
    const answers = await Promise.all([post(), post()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    await vi.waitFor(() => expect((dropped() && emulator.counters.runSseTotal() >= 1) || emulator.counters.runSseTotal() > 1).toBe(true), { timeout: 20_000, interval: 50 });
    await app.whenIdle({ pollMs: 50 });
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(fake.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
  });
});
