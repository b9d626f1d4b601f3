import { describe, expect, it, vi } from "vitest";
import { waitForOutput, whileRunning, type RunningProcess } from "../e2e/support.js";
import type { FakeTelegram } from "../fakes/telegram/server.js";
import { freePort } from "../helpers/redis-server.js";
import { uniquePrefix } from "../helpers/redis.js";
import { HELP_ANSWER, useTelegramBotProcesses } from "../helpers/telegram-bot-processes.js";

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
const world = useTelegramBotProcesses("tg-webhook-inbox");

function startBot(telegram: FakeTelegram, prefix: string, port: number): RunningProcess {
  return world.startBot(telegram, prefix, {
    TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_INBOX_RETRY_AFTER_MS: "1000",
    TELEGRAM_INBOX_SWEEP_MS: "500",
    HTTP_PORT: String(port),
  });
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

describe("a webhook bot killed after answering 200 and before queueing", { timeout: 120_000 }, () => {
  it("a restarted bot handles the update from the inbox, once", async () => {
    const { redis, emulator } = world;
    const telegram = await world.startTelegram();
    const prefix = uniquePrefix("tg-inbox");
    const port = await freePort();
    const chat = 9501;
    const first = startBot(telegram, prefix, port);
    await waitForOutput(first, /telegram adapter started/, 60_000);

    // A bot message in the chat to press a button under.
    const help = telegram.userSends({ chatId: chat, text: "/help" });
    await whileRunning(first, vi.waitFor(async () => expect(await deliver(telegram, port, help.updateId)).toBe(200), { timeout: 30_000, interval: 100 }));
    const helpAnswer = await whileRunning(first, telegram.waitForMessage(chat, HELP_ANSWER, 30_000));

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
