import type { Update } from "grammy/types";
import type { RedisClient } from "../../src/redis/client.js";
import { SoloSweep } from "../../src/redis/solo-sweep.js";
import type { Logger } from "../../src/log.js";
import { Changes, type Abortable } from "./changes.js";
import { describeError } from "./describe-error.js";

/**
 * The inbox: an update Telegram hands over (a webhook's POST, or a `getUpdates` answer) is written
 * to one Redis hash (`<prefix>:inbox`, field = update id) before Telegram is told it arrived (the
 * POST answered 200, or the next `getUpdates` sent with an offset past it), and removed once it was
 * handled (answered or queued). Telegram forgets an update from then on, so this entry is what keeps
 * it across a SIGKILL of the bot: a sweep (one bot process at a time, holding its lock until it ends)
 * handles again every entry older than `retryAfterMs`, and a polling bot handles at its start every
 * entry left from before it (one process polls a token at a time). Handling an update twice is harmless (the update claims and the mailbox's
 * per-update item record, src/chat/update-claims.ts), so the sweep needs no owner per entry.
 *
 * Confirming before handling takes the handling's Redis round trips out of what Telegram waits for:
 * per request for a webhook (Telegram keeps at most max_connections requests in flight), per
 * `getUpdates` call when polling (the next call no longer waits for the updates in hand): that wait
 * is what bounds a bot's ingress.
 */
export interface InboxSettings {
  /**
   * Updates confirmed to Telegram and still being handled in this process, at most: past it a webhook
   * answers after handling, and polling stops fetching until some are done.
   */
  maxInHand: number;
  /** An entry this old is handled again by the sweep (its process died or is stuck). */
  retryAfterMs: number;
  /** How often some bot process sweeps (and at each start). */
  sweepEveryMs: number;
}


/** Entries read per HSCAN step, and handled at once by a sweep. */
const SWEEP_BATCH = 200;

export class UpdateInbox {
  private readonly key: string;
  private readonly lockKey: string;
  /** Update ids confirmed early and being handled here now (the sweep leaves them alone). */
  private readonly inHand = new Map<number, Promise<void>>();
  private sweeper: SoloSweep | undefined;
  /** A polling bot's pass over the entries left from before it, until it ends or `stop` aborts it. */
  private leftovers: { controller: AbortController; done: Promise<void> } | undefined;
  /** Told whenever an update in hand is done (see `whenRoom`). */
  private readonly handled = new Changes();
  /** Updates POSTed in this turn of the event loop (field, value, …), written together by one HSET. */
  private accepting: { entries: string[]; done: Promise<boolean> } | undefined;
  /** Entries of updates handled in this turn of the event loop, removed together by one HDEL. */
  private removals: { fields: string[]; done: Promise<void> } | undefined;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly settings: InboxSettings,
    private readonly logger: Logger,
  ) {
    this.key = `${prefix}:inbox`;
    this.lockKey = `${prefix}:inbox:sweep`;
  }

  /** Whether one more update may be answered before it is handled (memory stays bounded in a flood). */
  hasRoom(): boolean {
    return this.inHand.size < this.settings.maxInHand;
  }

  /** How many more updates may be confirmed before they are handled now. */
  room(): number {
    return Math.max(0, this.settings.maxInHand - this.inHand.size);
  }

  /**
   * Resolves once `room()` is at least `wanted`, or half of `maxInHand` when that is less (a small
   * inbox still lets the next updates come while the last are handled), or when `signal` aborts.
   */
  whenRoom(wanted: number, signal: Abortable): Promise<void> {
    const enough = Math.min(wanted, Math.ceil(this.settings.maxInHand / 2));
    return this.handled.until(() => this.room() >= enough, signal);
  }

  /**
   * One round trip: the update (its body as Telegram sent it) is durable once this resolves true.
   * The updates POSTed in one turn of the event loop (Telegram keeps up to 100 requests in flight)
   * are written by one HSET sent in the next: one Redis command for many instead of one each, each
   * answered 200 once that command is.
   */
  accept(updateId: number, body: string): Promise<boolean> {
    if (!this.accepting) {
      const entries: string[] = [];
      const done = new Promise<boolean>((resolve) => {
        setImmediate(() => {
          this.accepting = undefined;
          resolve(this.write(entries));
        });
      });
      this.accepting = { entries, done };
    }
    this.accepting.entries.push(String(updateId), entryOf(Date.now(), body));
    return this.accepting.done;
  }

  /** One round trip: a `getUpdates` answer's updates are durable once this resolves true (one HSET for them all). */
  acceptAll(updates: readonly Update[]): Promise<boolean> {
    const at = Date.now();
    const entries: string[] = [];
    for (const update of updates) entries.push(String(update.update_id), entryOf(at, JSON.stringify(update)));
    return this.write(entries);
  }

  /** Writes entries (field, value, …); false when Redis did not take them (Telegram still has them: it was not told). */
  private async write(entries: string[]): Promise<boolean> {
    try {
      await this.redis.hset(this.key, ...entries);
      return true;
    } catch (error) {
      this.logger.warn({ updates: entries.length / 2, error: describeError(error) }, "telegram inbox unreachable: the updates are left to Telegram");
      return false;
    }
  }

  /** Handles an accepted update in the background; its entry goes once the handling is done (it stays if the handling fails, for the sweep). */
  handle(updateId: number, handling: () => Promise<void>): Promise<void> {
    // A copy (Telegram retrying) must not be handled beside it: the copy, dropped as a duplicate,
    // would remove the entry while the first handling is still under way.
    const already = this.inHand.get(updateId);
    if (already) {
      this.logger.debug({ updateId }, "telegram: duplicate update dropped (being handled from the inbox)");
      return already;
    }
    const done = handling().then(
      () => this.remove(updateId),
      // Left in the inbox: the sweep tries it again.
      (error: unknown) => this.logger.error({ updateId, error: describeError(error) }, "telegram update from the inbox failed"),
    );
    this.inHand.set(updateId, done);
    void done.finally(() => {
      this.inHand.delete(updateId);
      this.handled.changed();
    });
    return done;
  }

  /**
   * Sweeps every `sweepEveryMs` until `stop`, in one bot process at a time: the lock is held for the
   * whole sweep (handling a backlog can outlast the period), see SoloSweep. At once too: a webhook
   * bot (many processes may serve one) sweeps as any tick would; a polling bot (the only process
   * polling its token) handles every entry written before now, whatever its age and without the
   * lock: they are its predecessor's, which is gone or stopping, so its successor need not wait
   * `retryAfterMs` for them (nor a period, for the dead one's lock).
   */
  startSweeping(handleUpdate: (update: Update) => Promise<void>, options: { allLeftAtStart?: boolean } = {}): void {
    if (this.sweeper) return;
    this.sweeper = new SoloSweep({
      redis: this.redis,
      key: this.lockKey,
      periodMs: this.settings.sweepEveryMs,
      sweep: (signal) => this.sweep(handleUpdate, signal, Date.now() - this.settings.retryAfterMs),
      onError: (error) => this.logger.warn({ error: describeError(error) }, "telegram inbox sweep failed"),
    });
    if (options.allLeftAtStart) {
      const controller = new AbortController();
      const done = this.sweep(handleUpdate, controller.signal, Date.now()).catch((error: unknown) => {
        this.logger.warn({ error: describeError(error) }, "telegram inbox: could not handle the updates left over (the sweep will)");
      });
      this.leftovers = { controller, done };
    } else {
      void this.sweeper.runOnce();
    }
    this.sweeper.start();
  }

  /** Stops sweeping (a sweep under way stops after its batch) and waits for the updates in hand. */
  async stop(): Promise<void> {
    const sweeper = this.sweeper;
    const leftovers = this.leftovers;
    this.sweeper = this.leftovers = undefined;
    leftovers?.controller.abort();
    await Promise.all([sweeper?.stop(), leftovers?.done]);
    await Promise.all([...this.inHand.values()]);
  }

  /**
   * Removes a handled update's entry; resolves once it is gone. The updates handled in one turn of
   * the event loop (a burst of POSTs finishes together) go in one HDEL, sent in the next: one Redis
   * command for many instead of one each, at a delay no one sees (an entry matters only to a sweep,
   * a minute on).
   */
  private remove(updateId: number): Promise<void> {
    if (!this.removals) {
      const fields: string[] = [];
      const done = new Promise<void>((resolve) => {
        setImmediate(() => {
          this.removals = undefined;
          this.redis.hdel(this.key, ...fields).then(
            () => resolve(),
            (error: unknown) => {
              // A leftover entry is handled again by a sweep and dropped as handled: harmless.
              this.logger.warn({ updates: fields.length, error: describeError(error) }, "telegram inbox: could not remove handled updates");
              resolve();
            },
          );
        });
      });
      this.removals = { fields, done };
    }
    this.removals.fields.push(String(updateId));
    return this.removals.done;
  }

  /** Handles every entry written at `cutoff` or before and not in hand here. */
  private async sweep(handleUpdate: (update: Update) => Promise<void>, signal: AbortSignal, cutoff: number): Promise<void> {
    let cursor = "0";
    do {
      const [next, flat] = await this.redis.hscan(this.key, cursor, "COUNT", SWEEP_BATCH);
      cursor = next;
      const due: { id: number; update: Update }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = Number(flat[i]);
        if (this.inHand.has(id)) continue;
        const entry = parseEntry(flat[i + 1] ?? "");
        if (!entry) {
          await this.remove(id);
          continue;
        }
        if (entry.at <= cutoff) due.push({ id, update: entry.update });
      }
      if (due.length > 0) this.logger.info({ updates: due.length }, "telegram inbox: handling updates left over");
      await Promise.all(due.map(({ id, update }) => this.handle(id, () => handleUpdate(update))));
    } while (cursor !== "0" && !signal.aborted);
  }
}

/** An entry's value: when it was written, and the update as Telegram sent it (JSON). */
function entryOf(at: number, updateJson: string): string {
  return `{"at":${at},"update":${updateJson}}`;
}

function parseEntry(value: string): { at: number; update: Update } | undefined {
  try {
    const entry = JSON.parse(value) as { at?: unknown; update?: unknown };
    if (typeof entry.at !== "number" || typeof entry.update !== "object" || entry.update === null) return undefined;
    return { at: entry.at, update: entry.update as Update };
  } catch {
    return undefined;
  }
}
