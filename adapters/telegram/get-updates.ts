import type { UpdateSupplier } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "../../src/log.js";
import type { Abortable } from "./changes.js";
import { describeError } from "./describe-error.js";

/** The most updates one `getUpdates` answer carries (Telegram's limit). */
export const MAX_ANSWER = 100;

export interface PollingOptions {
  allowedUpdates: readonly string[];
  logger: Logger;
  /** Long polling timeout in seconds (Telegram's `timeout`). */
  timeoutSeconds?: number;
}

/** The signal grammY's runner hands its supplier. */
export type RunnerSignal = Parameters<UpdateSupplier<Update>["supply"]>[1];

/** grammY's own error fields: a 401 or 409 will not heal by asking again; a 429 says how long to wait. */
function errorCode(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "error_code" in error && typeof error.error_code === "number" ? error.error_code : undefined;
}

function retryAfterSeconds(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("parameters" in error)) return undefined;
  const parameters = error.parameters;
  if (typeof parameters !== "object" || parameters === null || !("retry_after" in parameters)) return undefined;
  return typeof parameters.retry_after === "number" ? parameters.retry_after : undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal: Abortable) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * One `getUpdates` answer (a long poll: empty after `timeoutSeconds` when nothing came), asked again
 * with a growing pause while Telegram or the network fails; throws once `signal` aborts, and on a 401
 * or 409.
 */
export async function getUpdates(bot: Bot, offset: number, limit: number, signal: RunnerSignal, options: PollingOptions): Promise<Update[]> {
  let retryIn = 100;
  for (;;) {
    try {
      return await bot.api.getUpdates({ offset, limit, timeout: options.timeoutSeconds ?? 30, allowed_updates: [...options.allowedUpdates] as never }, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const code = errorCode(error);
      // Unauthorized or another poller (409): asking again will not help; the runner stops and says so.
      if (code === 401 || code === 409) throw error;
      options.logger.warn({ error: describeError(error) }, "telegram getUpdates failed; asking again");
      const wait = code === 429 ? (retryAfterSeconds(error) ?? 1) * 1000 : retryIn;
      retryIn = Math.min(retryIn * 2, 10_000);
      await sleep(wait, signal);
      if (signal.aborted) throw error;
    }
  }
}

/** How a polling bot keeps updates it fetched safe until they are handled: the inbox, or the offset held back. */
export interface PollingMode {
  /** What grammY's runner pulls batches from. */
  supplier: UpdateSupplier<Update>;
  /** Handles one fetched update; resolves when it is done. */
  consume(update: Update): Promise<void>;
  /** Before the first fetch. */
  start(): void;
  /** Once fetching stopped: resolves when the updates in hand are done (or may be left: they are safe). */
  settle(): Promise<void>;
  /** The offset that confirms every update Telegram may forget now (0: none). */
  offset(): number;
}
