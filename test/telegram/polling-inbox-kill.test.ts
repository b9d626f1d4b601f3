import { describe, expect, it, vi } from "vitest";
import { waitForOutput, whileRunning } from "../e2e/support.js";
import { uniquePrefix } from "../helpers/redis.js";
import { HELP_ANSWER, useTelegramBotProcesses } from "../helpers/telegram-bot-processes.js";

/**
 * A polling bot confirms an answer's updates to Telegram (its next `getUpdates` sends the offset
 * past them) while it is still handling them: from then on only the Redis inbox holds them. A bot
 * SIGKILLed after that confirmation and before it queued the user's message must not lose it: the
 * next bot process handles what its predecessor left in the inbox when it starts (without waiting
 * TELEGRAM_INBOX_RETRY_AFTER_MS, left at its default of a minute here), once.
 *
 * To hold the first bot between the confirmation and the queueing, the user first presses a button
 * and the fake Bot API leaves the bot's answerCallbackQuery unanswered: the chat's updates are
 * handled in order, so the text sent next waits behind it, confirmed and not queued.
 */

const world = useTelegramBotProcesses("tg-polling-inbox");

describe("a polling bot killed after Telegram was told to forget its updates", { timeout: 120_000 }, () => {
  it("the next bot process handles them from the inbox at its start, once", async () => {
    const { redis, emulator } = world;
    const telegram = await world.startTelegram();
    const prefix = uniquePrefix("tg-poll-inbox");
    const chat = 9601;
    const first = world.startBot(telegram, prefix);
    await waitForOutput(first, /telegram adapter started/, 60_000);

    // A bot message in the chat to press a button under.
    telegram.userSends({ chatId: chat, text: "/help" });
    const helpAnswer = await whileRunning(first, telegram.waitForMessage(chat, HELP_ANSWER, 30_000));

    const release = telegram.hold("answerCallbackQuery");
    const press = telegram.pressButton(chat, helpAnswer.messageId, "noop");
    const edit = telegram.userSends({ chatId: chat, text: "make the intro shorter" });
    const confirmed = () => Math.max(0, ...telegram.calls("getUpdates").map((c) => Number(c.params.offset ?? 0))) > edit.updateId;
    // The first bot is stuck at the button's answer, the text behind it, and Telegram was told to forget both.
    await whileRunning(
      first,
      vi.waitFor(() => expect(telegram.calls("answerCallbackQuery").length === 1 && confirmed()).toBe(true), { timeout: 30_000, interval: 20 }),
    );
    first.child.kill("SIGKILL");
    await first.exited(10_000);
    release();
    expect(telegram.timesDelivered(press.updateId)).toBe(1);
    expect(telegram.timesDelivered(edit.updateId)).toBe(1);
    expect((await redis.hkeys(`${prefix}:inbox`)).map(Number).sort((a, b) => a - b)).toEqual([press.updateId, edit.updateId]);
    expect(emulator.counters.runSseTotal()).toBe(0);

    const second = world.startBot(telegram, prefix);
    await whileRunning(second, telegram.waitForMessage(chat, /Done/, 60_000));
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(telegram.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
    await whileRunning(second, vi.waitFor(async () => expect(await redis.hlen(`${prefix}:inbox`)).toBe(0), { timeout: 30_000, interval: 100 }));
    // Telegram never handed them out again: the inbox alone kept them.
    expect(telegram.timesDelivered(edit.updateId)).toBe(1);
    expect(telegram.calls("answerCallbackQuery").length).toBe(2);
  });
});
