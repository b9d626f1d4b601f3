import { createConcurrentSink, createRunner, createSource, type RunnerHandle, type UpdateSupplier } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "../../src/log.js";
import { describeError } from "./describe-error.js";

/**
 * Long polling that tells Telegram to forget an update only once the bot has handled it.
 *
 * `getUpdates` confirms every update below the `offset` it is called with. grammY's runner sends
 * `offset = last fetched + 1` with its very next call, which it makes as soon as a batch is fetched,
 * before its updates are handled: a process killed in between has confirmed updates it never
 * handled, and Telegram never hands them out again (the fault run lost messages that way). Here the
 * offset is the oldest update still being handled, so a killed bot's successor is handed every
 * update that was not handled to the end; the update claims (src/chat/update-claims.ts) make
 * handling one again harmless.
 *
 * The price: while an update is being handled, `getUpdates` answers at once with it again (it is
 * not confirmed: Telegram returns every update from the offset on, 100 at most), so the fetcher
 * drops the ones it handed out before. Two valves keep a slow handler from stopping the bot (it
 * sees no update past the 100 after the offset): an update held longer than `MAX_HOLD_MS`, and
 * updates that fill a whole answer, stop holding the offset back; a bot killed then may lose those.
 *
 * Under a backlog (the last answer was full) the fetcher works in two halves of an answer, so the
 * next half is fetched while the last is being handled rather than after it: it takes the first
 * half of each answer's new updates (the rest stay unconfirmed and come again), and asks again as
 * soon as the updates from the offset on leave room for another half. Otherwise (a quiet bot) it
 * waits up to `HOLD_POLL_MS` for everything in hand, then long-polls from past it.
 */

/** The longest wait for updates in hand before asking Telegram again (new updates wait at most this long extra). */
export const HOLD_POLL_MS = 250;

/**
 * An update still being handled after this long no longer holds back the offset: a stuck handler
 * must not stop the bot. Every handler's durable step (its items queued, or its quick answer sent)
 * is long done by then in practice; a bot killed while one still runs past it may lose that update.
 */
export const MAX_HOLD_MS = 60_000;

/** What this file needs of an abort signal (the runner hands out a polyfill's, grammY takes its own). */
interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

type RunnerSignal = Parameters<UpdateSupplier<Update>["supply"]>[1];

/** The updates handed to the bot and not yet handled, and the offset that follows from them. */
export class UpdateOffsets {
  /** Update id → when it was handed out. */
  private readonly open = new Map<number, number>();
  private highest = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxHoldMs = MAX_HOLD_MS,
  ) {}

  /**
   * The updates of a `getUpdates` answer this process has not handed out yet, now open: the first
   * `max` of them (an answer lists updates by id; the ones left are not confirmed, so they come again).
   */
  takeNew(updates: readonly Update[], max = Number.POSITIVE_INFINITY): Update[] {
    const fresh = updates.filter((u) => u.update_id > this.highest).slice(0, max);
    const at = this.now();
    for (const u of fresh) {
      this.open.set(u.update_id, at);
      this.highest = Math.max(this.highest, u.update_id);
    }
    return fresh;
  }

  /**
   * These updates no longer hold the offset back (a full answer of updates still in hand: the bot
   * sees nothing newer until the offset moves, so it moves, at the cost of their crash safety).
   */
  release(updates: readonly Update[]): void {
    for (const u of updates) if (this.open.has(u.update_id)) this.open.set(u.update_id, Number.NEGATIVE_INFINITY);
  }

  done(updateId: number): void {
    this.open.delete(updateId);
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * How many new updates an answer of `limit` could carry now: Telegram returns every update from
   * the offset on (ids are sequential), those handed out already included.
   */
  room(limit: number): number {
    if (this.open.size === 0) return limit;
    return Math.max(0, limit - (this.highest - this.offset() + 1));
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Confirms everything before the oldest update still being handled (0 before any was handed out: confirms nothing). */
  offset(): number {
    if (this.highest === 0) return 0;
    const cutoff = this.now() - this.maxHoldMs;
    let lowest = this.highest + 1;
    for (const [id, at] of this.open) if (at > cutoff && id < lowest) lowest = id;
    return lowest;
  }

  /** Resolves when no update is open, after `ms`, or when `signal` aborts, whichever comes first. */
  async settled(ms: number, signal?: Abortable): Promise<void> {
    await this.until(() => this.open.size === 0, ms, signal);
  }

  /** Resolves when an answer of `limit` could carry `wanted` new updates (see `room`), after `ms`, or on abort. */
  async roomFor(limit: number, wanted: number, ms: number, signal?: Abortable): Promise<void> {
    await this.until(() => this.room(limit) >= wanted, ms, signal);
  }

  private async until(ready: () => boolean, ms: number, signal?: Abortable): Promise<void> {
    if (ready() || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const check = () => {
        if (ready()) finish();
      };
      const timer = setTimeout(finish, ms);
      this.waiters.add(check);
      signal?.addEventListener("abort", finish, { once: true });
    });
  }
}

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

const sleep = (ms: number, signal: Abortable) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

export interface PollingOptions {
  allowedUpdates: readonly string[];
  logger: Logger;
  /** Long polling timeout in seconds (Telegram's `timeout`). */
  timeoutSeconds?: number;
}

/** The supplier grammY's runner pulls batches from, with the offset kept by `offsets`. */
export function confirmingSupplier(bot: Bot, offsets: UpdateOffsets, options: PollingOptions): UpdateSupplier<Update> {
  const fetchOnce = async (limit: number, signal: RunnerSignal): Promise<Update[]> => {
    let retryIn = 100;
    for (;;) {
      try {
        return await bot.api.getUpdates(
          { offset: offsets.offset(), limit, timeout: options.timeoutSeconds ?? 30, allowed_updates: [...options.allowedUpdates] as never },
          signal,
        );
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
  };
  // The last answer was full: more updates are waiting at Telegram (see "two halves" above).
  let backlog = false;
  return {
    async supply(batchSize, signal) {
      if (!bot.isInited()) await bot.init();
      const limit = Math.max(1, Math.min(batchSize, 100));
      const half = Math.ceil(limit / 2);
      for (;;) {
        // Quiet: updates in hand are usually done within milliseconds, and the call after them can
        // then confirm them (and long-poll) instead of being answered with them again at once.
        // Backlog: ask as soon as an answer has room for another half.
        if (backlog && limit > 1) await offsets.roomFor(limit, half, HOLD_POLL_MS, signal);
        else await offsets.settled(HOLD_POLL_MS, signal);
        const updates = await fetchOnce(limit, signal);
        const fresh = offsets.takeNew(updates, backlog && limit > 1 ? half : limit);
        backlog = updates.length >= limit && fresh.length > 0;
        if (fresh.length > 0 || updates.length === 0 || signal.aborted) return fresh;
        // Only updates still being handled came back. A full answer of them hides everything newer
        // (a flood of quick answers waiting for send slots): let the offset move past them.
        if (updates.length >= limit) {
          options.logger.warn({ updates: updates.length }, "telegram: updates in hand fill a getUpdates answer; confirming them before they are handled");
          offsets.release(updates);
        }
        // Else wait for progress and ask again.
      }
    },
  };
}

/** grammY's runner (concurrent sink, paced source) over the confirming supplier: each update is done when its middleware is. */
export function runConfirming(bot: Bot, offsets: UpdateOffsets, options: PollingOptions): RunnerHandle {
  const source = createSource(confirmingSupplier(bot, offsets, options));
  const sink = createConcurrentSink<Update>(
    {
      consume: async (update) => {
        try {
          await bot.handleUpdate(update);
        } finally {
          offsets.done(update.update_id);
        }
      },
    },
    async (error) => {
      try {
        await bot.errorHandler(error as Parameters<Bot["errorHandler"]>[0]);
      } catch (handlerError) {
        options.logger.error({ error: describeError(handlerError) }, "telegram error handler failed");
      }
    },
  );
  const runner = createRunner(source, sink);
  runner.start();
  return runner;
}
