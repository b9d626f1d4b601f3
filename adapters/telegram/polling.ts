import { createConcurrentSink, createRunner, createSource, type RunnerHandle, type UpdateSupplier } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "../../src/log.js";
import { ALLOWED_UPDATES, type Connection } from "./connection.js";
import { describeError } from "./describe-error.js";
import { getUpdates, MAX_ANSWER, sleep, type PollingMode, type PollingOptions } from "./get-updates.js";
import { offsetHoldingMode } from "./held-offsets.js";
import type { UpdateInbox } from "./inbox.js";

/**
 * Long polling through the inbox (inbox.ts), the default. `getUpdates` confirms every update below
 * the `offset` it is called with, and Telegram forgets them. Each answer's updates are written to
 * the inbox in one command before the next call confirms them all (offset = last + 1), and handled
 * meanwhile: the fetcher never waits for a handling, Telegram never hands an update out twice, and
 * under a backlog every answer is a full one. A process killed at any point loses nothing: an update
 * is unconfirmed at Telegram (handed out again to the next process) or in the inbox (handled by the
 * next process at its start, or by a sweep; see inbox.ts); the update claims make handling one twice
 * harmless. At most TELEGRAM_INBOX_MAX_IN_HAND updates are in hand: past it the fetcher waits for
 * room, so a slow handler cannot fill the process's memory (the rest wait at Telegram).
 *
 * TELEGRAM_INBOX_MAX_IN_HAND=0 turns the inbox off: the offset then stays at the oldest update in
 * hand (held-offsets.ts), as the webhook then answers only after handling: Telegram hands the
 * updates in hand out again with every call, and a bot killed may lose one held past its valves.
 */

/** The longest pause before writing an answer to an unreachable inbox again (its updates stay unconfirmed meanwhile). */
const MAX_INBOX_RETRY_MS = 10_000;

function inboxSupplier(bot: Bot, inbox: UpdateInbox, options: PollingOptions, confirmed: { offset: number }): UpdateSupplier<Update> {
  return {
    async supply(batchSize, signal) {
      if (!bot.isInited()) await bot.init();
      const most = Math.max(1, Math.min(batchSize, MAX_ANSWER));
      let retryIn = 100;
      for (;;) {
        // A full answer's room (or the whole inbox's, when it holds less): answers stay large.
        await inbox.whenRoom(most, signal);
        if (signal.aborted) return [];
        const updates = await getUpdates(bot, confirmed.offset, Math.min(most, inbox.room()), signal, options);
        const last = updates.at(-1);
        if (!last) return updates;
        if (await inbox.acceptAll(updates)) {
          confirmed.offset = last.update_id + 1;
          return updates;
        }
        // Not written: not confirmed either; the next call, from the same offset, hands them out again.
        await sleep(retryIn, signal);
        retryIn = Math.min(retryIn * 2, MAX_INBOX_RETRY_MS);
        if (signal.aborted) return [];
      }
    },
  };
}

function inboxMode(bot: Bot, inbox: UpdateInbox, options: PollingOptions): PollingMode {
  const confirmed = { offset: 0 };
  const handleUpdate = (update: Update) => bot.handleUpdate(update);
  return {
    supplier: inboxSupplier(bot, inbox, options, confirmed),
    consume: (update) => inbox.handle(update.update_id, () => handleUpdate(update)),
    start: () => inbox.startSweeping(handleUpdate, { allLeftAtStart: true }),
    settle: () => inbox.stop(),
    offset: () => confirmed.offset,
  };
}

/** grammY's runner (concurrent sink, paced source) over a polling mode's supplier. */
function runPolling(bot: Bot, mode: PollingMode, logger: Logger): RunnerHandle {
  const sink = createConcurrentSink<Update>({ consume: (update) => mode.consume(update) }, async (error) => {
    try {
      await bot.errorHandler(error as Parameters<Bot["errorHandler"]>[0]);
    } catch (handlerError) {
      logger.error({ error: describeError(handlerError) }, "telegram error handler failed");
    }
  });
  const runner = createRunner(createSource(mode.supplier), sink);
  runner.start();
  return runner;
}

/**
 * Long polling with grammY's runner: updates are fetched while earlier ones are still being
 * handled, and `sequentialize` (installed on the bot) keeps each chat in order. `inbox` undefined:
 * the offset-holding mode (TELEGRAM_INBOX_MAX_IN_HAND=0).
 */
export function pollingConnection(bot: Bot, inbox: UpdateInbox | undefined, logger: Logger): Connection {
  const options: PollingOptions = { allowedUpdates: ALLOWED_UPDATES, logger };
  const mode = inbox ? inboxMode(bot, inbox, options) : offsetHoldingMode(bot, options);
  let runner: RunnerHandle | undefined;
  return {
    webhookHandler: undefined,
    async start() {
      // A webhook left over from another deployment would make getUpdates fail with 409.
      await bot.api.deleteWebhook();
      mode.start();
      const handle = runPolling(bot, mode, logger);
      runner = handle;
      handle.task()?.catch((error: unknown) => {
        logger.error({ error: describeError(error) }, "telegram polling stopped");
      });
    },
    async stop(drain) {
      const handle = runner;
      runner = undefined;
      if (handle?.isRunning()) await handle.stop();
      await drain();
      await mode.settle();
      // The next fetch would confirm what is safe to forget, and stop() cancelled it: without this
      // call the last updates would be handed out again after a restart (and dropped as handled, at a cost).
      const offset = mode.offset();
      if (offset > 0) {
        await bot.api.getUpdates({ offset, limit: 1, timeout: 0 }).catch((error: unknown) => {
          logger.warn({ error: describeError(error) }, "telegram could not confirm the last updates");
        });
      }
    },
    healthy: () => runner?.isRunning() ?? false,
  };
}
