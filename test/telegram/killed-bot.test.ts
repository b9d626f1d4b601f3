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
 *
 * Through the inbox (the default) the process is killed while it waits to write the updates to the
 * inbox, before which it asks Telegram for nothing more; with the inbox off
 * (TELEGRAM_INBOX_MAX_IN_HAND=0), after its next getUpdates, which holds the offset at them.
 */

const world = useTelegramBotProcesses("tg-killed-bot");
afterEach(async () => {
  await world.redis.call("CLIENT", "UNPAUSE");
});

/** The bot's write of the updates to the inbox, held by the pause (`CLIENT LIST` flags a paused client `b`). */
async function inboxWriteWaiting(redis: typeof world.redis): Promise<boolean> {
  const clients = String(await redis.call("CLIENT", "LIST")).split("\n");
  return clients.some((c) => /\bflags=\w*b/.test(c) && /\bcmd=hset\b/.test(c));
}

const MODES: { mode: string; env: Record<string, string> }[] = [
  { mode: "through the inbox (the default)", env: {} },
  { mode: "holding the offset back (TELEGRAM_INBOX_MAX_IN_HAND=0)", env: { TELEGRAM_INBOX_MAX_IN_HAND: "0" } },
];

describe.each(MODES)("a bot killed between getUpdates and queueing, $mode", { timeout: 120_000 }, ({ env }) => {
  it("its successor is handed the updates again and handles each once", async () => {
    const { redis, emulator } = world;
    const telegram = await world.startTelegram();
    const prefix = uniquePrefix("tg-killed");
    const inbox = !("TELEGRAM_INBOX_MAX_IN_HAND" in env);
    // Turns at the backend in this test (the emulator serves every test of the file).
    const runsBefore = emulator.counters.runSseTotal();
    const runs = () => emulator.counters.runSseTotal() - runsBefore;
    const first = world.startBot(telegram, prefix, env);
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
    if (inbox) {
      // The process got past reading the answer: it waits to write it to the inbox.
      await whileRunning(first, vi.waitFor(async () => expect(await inboxWriteWaiting(redis)).toBe(true), { timeout: 30_000, interval: 20 }));
    } else {
      // The poller's next call (the one that may confirm the offset) has been made before the kill.
      // (Polled: a long poll is noticed by the fake's waiters only when answered.)
      await whileRunning(first, vi.waitFor(() => expect(telegram.calls("getUpdates").length).toBeGreaterThan(callsAtHandout), { timeout: 30_000, interval: 20 }));
    }
    first.child.kill("SIGKILL");
    await first.exited(10_000);
    await redis.call("CLIENT", "UNPAUSE");
    // Telegram was told to forget neither.
    expect(Math.max(...telegram.calls("getUpdates").map((c) => Number(c.params.offset ?? 0)))).toBeLessThanOrEqual(Math.min(edit.updateId, quick.updateId));

    const second = world.startBot(telegram, prefix, env);
    await whileRunning(second, telegram.waitForMessage(helpChat, HELP_ANSWER, 60_000));
    await whileRunning(second, telegram.waitForMessage(editChat, /Done/, 60_000));

    expect(telegram.timesDelivered(edit.updateId)).toBeGreaterThanOrEqual(2);
    expect(runs()).toBe(1);
    expect(telegram.messages(editChat).filter((m) => m.history.some((t) => /Thinking/.test(t)))).toHaveLength(1);
    expect(telegram.messages(helpChat).filter((m) => m.history.some((t) => HELP_ANSWER.test(t)))).toHaveLength(1);

    // Handled and confirmed: a third process is handed nothing again and answers nothing more.
    second.child.kill("SIGTERM");
    await second.exited(30_000);
    const deliveredBefore = telegram.timesDelivered(edit.updateId);
    const third = world.startBot(telegram, prefix, env);
    await waitForOutput(third, /telegram adapter started/, 60_000);
    const quiet = telegram.userSends({ chatId: helpChat, text: "/help" });
    await whileRunning(third, telegram.waitFor(() => telegram.messages(helpChat).filter((m) => HELP_ANSWER.test(m.text)).length >= 2, "the later /help answered", 60_000));
    expect(telegram.timesDelivered(edit.updateId)).toBe(deliveredBefore);
    expect(telegram.timesDelivered(quiet.updateId)).toBeGreaterThanOrEqual(1);
    expect(runs()).toBe(1);
  });
});
