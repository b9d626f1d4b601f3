import { afterEach, describe, expect, it, vi } from "vitest";
import { waitForOutput, whileRunning } from "../e2e/support.js";
import { uniquePrefix } from "../helpers/redis.js";
import { HELP_ANSWER, useTelegramBotProcesses } from "../helpers/telegram-bot-processes.js";

/**
 * The bot's process SIGKILLed after `getUpdates` handed it updates and before it queued or answered
 * them (the fault run's "bot killed 0–40 ms after a getUpdates answer"). Its Redis takes no writes
 * meanwhile (`CLIENT PAUSE … WRITE`, on a redis-server of this test's own), so the process cannot
 * get past reading the update however fast it is. Telegram (the fake, which keeps every update until
 * an offset confirms it) must hand the updates to the next process, and that one must handle each
 * exactly once: one turn at the backend, one answer to the quick command.
 */

const world = useTelegramBotProcesses("tg-killed-bot");
afterEach(async () => {
  await world.redis.call("CLIENT", "UNPAUSE");
});

describe("a bot killed between getUpdates and queueing", { timeout: 120_000 }, () => {
  it("its successor is handed the updates again and handles each once", async () => {
    const { redis, emulator } = world;
    const telegram = await world.startTelegram();
    const prefix = uniquePrefix("tg-killed");
    const first = world.startBot(telegram, prefix);
    await waitForOutput(first, /telegram adapter started/, 60_000);

    // From here the first process can read Redis but not write it: nothing it does lands.
    await redis.call("CLIENT", "PAUSE", "60000", "WRITE");
    const editChat = 9401;
    const helpChat = 9402;
    // How many getUpdates calls had arrived when the one handing out the updates answered.
    let callsAtHandout = Infinity;
    const unsubscribe = telegram.onUpdatesDelivered(() => {
      callsAtHandout = Math.min(callsAtHandout, telegram.calls("getUpdates").length);
    });
    const edit = telegram.userSends({ chatId: editChat, text: "make the intro shorter" });
    const quick = telegram.userSends({ chatId: helpChat, text: "/help" });
    await whileRunning(
      first,
      telegram.waitFor(() => telegram.timesDelivered(edit.updateId) >= 1 && telegram.timesDelivered(quick.updateId) >= 1, "both updates handed out", 30_000),
    );
    unsubscribe();
    // The poller's next call (the one that may confirm the offset) has been made before the kill.
    // (Polled: a long poll is noticed by the fake's waiters only when answered.)
    await whileRunning(first, vi.waitFor(() => expect(telegram.calls("getUpdates").length).toBeGreaterThan(callsAtHandout), { timeout: 30_000, interval: 20 }));
    first.child.kill("SIGKILL");
    await first.exited(10_000);
    await redis.call("CLIENT", "UNPAUSE");

    const second = world.startBot(telegram, prefix);
    await whileRunning(second, telegram.waitForMessage(helpChat, HELP_ANSWER, 60_000));
    await whileRunning(second, telegram.waitForMessage(editChat, /Done/, 60_000));

    expect(telegram.timesDelivered(edit.updateId)).toBeGreaterThanOrEqual(2);
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(telegram.messages(editChat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
    expect(telegram.messages(helpChat).filter((m) => m.history.some((t) => HELP_ANSWER.test(t)))).toHaveLength(1);

    // Handled and confirmed: a third process is handed nothing again and answers nothing more.
    second.child.kill("SIGTERM");
    await second.exited(30_000);
    const deliveredBefore = telegram.timesDelivered(edit.updateId);
    const third = world.startBot(telegram, prefix);
    await waitForOutput(third, /telegram adapter started/, 60_000);
    const quiet = telegram.userSends({ chatId: helpChat, text: "/help" });
    await whileRunning(third, telegram.waitFor(() => telegram.messages(helpChat).filter((m) => HELP_ANSWER.test(m.text)).length >= 2, "the later /help answered", 60_000));
    expect(telegram.timesDelivered(edit.updateId)).toBe(deliveredBefore);
    expect(telegram.timesDelivered(quiet.updateId)).toBeGreaterThanOrEqual(1);
    expect(emulator.counters.runSseTotal()).toBe(1);
  });
});
