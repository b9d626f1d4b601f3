import type { UpdateSupplier } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { Changes, type Abortable } from "./changes.js";
import { getUpdates, MAX_ANSWER, type PollingMode, type PollingOptions } from "./get-updates.js";

/**
 * Long polling without the inbox (TELEGRAM_INBOX_MAX_IN_HAND=0): Telegram is told to forget an
 * update only once the bot has handled it.
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

/** The updates handed to the bot and not yet handled, and the offset that follows from them. */
export class UpdateOffsets {
  /** Update id → when it was handed out. */
  private readonly open = new Map<number, number>();
  private highest = 0;
  private readonly changes = new Changes();

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
    this.changes.changed();
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
    await this.changes.until(() => this.open.size === 0, signal, ms);
  }

  /** Resolves when an answer of `limit` could carry `wanted` new updates (see `room`), after `ms`, or on abort. */
  async roomFor(limit: number, wanted: number, ms: number, signal?: Abortable): Promise<void> {
    await this.changes.until(() => this.room(limit) >= wanted, signal, ms);
  }
}

/** The supplier grammY's runner pulls batches from, with the offset kept by `offsets`. */
function offsetHoldingSupplier(bot: Bot, offsets: UpdateOffsets, options: PollingOptions): UpdateSupplier<Update> {
  // The last answer was full: more updates are waiting at Telegram (see "two halves" above).
  let backlog = false;
  return {
    async supply(batchSize, signal) {
      if (!bot.isInited()) await bot.init();
      const limit = Math.max(1, Math.min(batchSize, MAX_ANSWER));
      const half = Math.ceil(limit / 2);
      for (;;) {
        // Quiet: updates in hand are usually done within milliseconds, and the call after them can
        // then confirm them (and long-poll) instead of being answered with them again at once.
        // Backlog: ask as soon as an answer has room for another half.
        if (backlog && limit > 1) await offsets.roomFor(limit, half, HOLD_POLL_MS, signal);
        else await offsets.settled(HOLD_POLL_MS, signal);
        const updates = await getUpdates(bot, offsets.offset(), limit, signal, options);
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

/** Polling that holds the offset back at the oldest update in hand (see above). */
export function offsetHoldingMode(bot: Bot, options: PollingOptions, offsets = new UpdateOffsets()): PollingMode {
  return {
    supplier: offsetHoldingSupplier(bot, offsets, options),
    async consume(update) {
      try {
        await bot.handleUpdate(update);
      } finally {
        offsets.done(update.update_id);
      }
    },
    start: () => undefined,
    // Drained by then: nothing should be in hand; a stuck handler must not hold a shutdown for long.
    settle: () => offsets.settled(1_000),
    offset: () => offsets.offset(),
  };
}
