import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { connectRedis, type RedisClient } from "../../src/redis/client.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { killIfRunning } from "../app/support.js";
import { cleanEnv, FAST_ENV, startMain, waitForOutput, whileRunning, type RunningProcess } from "../e2e/support.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.js";
import { uniquePrefix } from "../helpers/redis.js";

/**
 * Webhook mode answers Telegram's POST once the update is in the Redis inbox, before handling it:
 * Telegram forgets the update at that 200. A bot SIGKILLed after the 200 and before it queued the
 * user's message must not lose it: a restarted bot finds it in the inbox (older than
 * TELEGRAM_INBOX_RETRY_AFTER_MS) and handles it, once.
 *
 * To hold the first bot between the 200 and the queueing, the user first presses a button in the
 * chat and the fake Bot API leaves the bot's answerCallbackQuery unanswered: the chat's updates are
 * handled in order, so the text sent next waits behind it, answered 200 and not queued.
 */

const SECRET = "s3cret-inbox";
let dir: string;
let server: RedisServerHandle;
let redis: RedisClient;
let emulator: Emulator;
let fake: FakeTelegram | undefined;
const bots: RunningProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-webhook-inbox-"));
  server = await startRedisServer({ appendOnly: false, dir });
  redis = connectRedis(server.url, "worker");
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 } });
});
afterEach(async () => {
  for (const bot of bots.splice(0)) killIfRunning(bot);
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  redis.disconnect();
  await emulator.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function startBot(telegram: FakeTelegram, prefix: string, port: number): RunningProcess {
  const bot = startMain(
    cleanEnv({
      ...FAST_ENV,
      LOG_LEVEL: "info",
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_INBOX_RETRY_AFTER_MS: "1000",
      TELEGRAM_INBOX_SWEEP_MS: "500",
      HTTP_PORT: String(port),
      NEMO_API_BASE: emulator.url,
      REDIS_URL: server.url,
      QUEUE_PREFIX: prefix,
      EXPORT_DIR: join(dir, "exports"),
    }),
  );
  bots.push(bot);
  return bot;
}

/** POSTs an update as Telegram does; the status the bot answered. */
async function deliver(telegram: FakeTelegram, port: number, updateId: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body: JSON.stringify(telegram.updateById(updateId)),
  });
  await response.arrayBuffer();
  return response.status;
}

const helpText = /What I can do|Send me clips, images or audio/;

describe("a webhook bot killed after answering 200 and before queueing", { timeout: 120_000 }, () => {
  it("a restarted bot handles the update from the inbox, once", async () => {
    const telegram = await startFakeTelegram();
    fake = telegram;
    const prefix = uniquePrefix("tg-inbox");
    const port = await freePort();
    const chat = 9501;
    const first = startBot(telegram, prefix, port);
    await waitForOutput(first, /telegram adapter started/, 60_000);

    // A bot message in the chat to press a button under.
    const help = telegram.userSends({ chatId: chat, text: "/help" });
    await whileRunning(first, vi.waitFor(async () => expect(await deliver(telegram, port, help.updateId)).toBe(200), { timeout: 30_000, interval: 100 }));
    const helpAnswer = await whileRunning(first, telegram.waitForMessage(chat, helpText, 30_000));

    const release = telegram.hold("answerCallbackQuery");
    const press = telegram.pressButton(chat, helpAnswer.messageId, "noop");
    const edit = telegram.userSends({ chatId: chat, text: "make the intro shorter" });
    expect(await deliver(telegram, port, press.updateId)).toBe(200);
    expect(await deliver(telegram, port, edit.updateId)).toBe(200);
    // The first bot is stuck at the button's answer, the text behind it.
    await whileRunning(first, vi.waitFor(() => expect(telegram.calls("answerCallbackQuery").length).toBe(1), { timeout: 30_000, interval: 20 }));
    first.child.kill("SIGKILL");
    await first.exited(10_000);
    release();
    // Telegram was answered 200 for both: from here only the inbox holds them.
    expect(await redis.hlen(`${prefix}:inbox`)).toBe(2);
    expect(emulator.counters.runSseTotal()).toBe(0);

    const second = startBot(telegram, prefix, port);
    await whileRunning(second, telegram.waitForMessage(chat, /Done/, 60_000));
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(telegram.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
    await whileRunning(second, vi.waitFor(async () => expect(await redis.hlen(`${prefix}:inbox`)).toBe(0), { timeout: 30_000, interval: 100 }));

    // A few sweeps later, nothing more was run or said.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(telegram.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
  });
});
