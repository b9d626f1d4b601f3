import type { RedisClient } from "../../src/redis/client.js";
import { withLock, type LockOptions } from "../../src/accounts/lock.js";
import type { Locale, Platform, ReplyHandle } from "../../src/chat/message.js";
import type { Outbox, SentRef } from "../../src/chat/outbox.js";
import { RateLimitedError } from "../../src/errors.js";
import { messages } from "../../src/i18n/index.js";
import type { Logger } from "../../src/log.js";
import { placeWords } from "../../src/work/place-words.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { SoloSweep } from "../../src/redis/solo-sweep.js";
import { lineKeys, lineLeaseKey, lineSweepKey, mailboxKeys, sessionKeyOf } from "../keys.js";
import { Durations, type Medians } from "./durations.js";
import { mustWait, placesInLine, type Place } from "./estimate.js";
import { needsStatus, readSessionLine, sessionsWaitingForSlot, type SessionLine, type WaitingDrainers } from "./read-line.js";

/**
 * Keeps each waiting item's status message current: "⏳ Queued: 2 ahead of you · about 40 s".
 *
 * - The producer `announce`s an item that cannot start at once, right after queueing it.
 * - When an item starts, the drainer `start`s it: its queued status becomes the item's own status
 *   message, so the user sees one message go from "Queued" to "Thinking" to "Done".
 * - A worker that turns a drainer away for its user's share `watch`es the session for the tick.
 * - `refresh` (after an item starts or one is cancelled, and on the workers' tick) edits only the
 *   statuses whose words changed, as droppable edits: when the chat platform is busy the edit is
 *   skipped and the next refresh tries again with the then-current words.
 *
 * Whoever edits a queued status holds its lease (a short Redis lock), and an entry in the session's
 * `statuses` hash exists only while its item has not started: so a refresh that read the line just
 * before the item started can never write "Queued" over "Thinking".
 */

interface QueuedStatus {
  ref: SentRef;
  to: ReplyHandle;
  locale: Locale;
  /** The words shown now. */
  shown: string;
}

/** The item starting waits for whoever is editing its status (one HTTP call at most). */
const WAIT_FOR_LEASE: LockOptions = { ttlMs: 15_000, pollMs: 20, waitMs: 15_000 };
/** A refresh never waits: someone else is editing that status right now. */
const TRY_LEASE: LockOptions = { ttlMs: 15_000, pollMs: 20, waitMs: 0 };
/** Medians are read at most this often per process (every refresh needs them). */
const MEDIANS_FRESH_MS = 1_000;
/** How many sessions waiting for a worker slot one sweep looks at. */
const SWEEP_SLOT_SESSIONS = 200;
/**
 * After the platform's limits refused a droppable status, this process's droppable announces skip
 * that platform for this long (the workers' sweep posts what they skip): in a burst of new users
 * with no worker slot free, each would otherwise read its line, take a lease and check its status
 * (five Redis commands) only to be refused the send.
 */
export const REFUSED_STATUS_BACKOFF_MS = 1_000;

export interface LineKeeperDeps {
  redis: RedisClient;
  prefix: string;
  /** Without one (a process that posts nothing) the keeper only measures and reads. */
  outbox?: (platform: Platform) => Outbox;
  logger: Logger;
}

export class LineKeeper {
  readonly durations: Durations;
  private medians: { at: number; value: Medians } | undefined;
  /** Platform → until when droppable announces are skipped (see REFUSED_STATUS_BACKOFF_MS). */
  private readonly statusesRefusedUntil = new Map<Platform, number>();

  constructor(private readonly deps: LineKeeperDeps) {
    this.durations = new Durations(deps.redis, deps.prefix);
  }

  /** The session's line and the place of each waiting item. */
  async places(sessionKey: string, now = Date.now()): Promise<{ line: SessionLine; places: Place[]; medians: Medians }> {
    const [line, medians] = await Promise.all([readSessionLine(this.deps.redis, this.deps.prefix, sessionKey), this.currentMedians(now)]);
    return { line, places: placesInLine(line, medians, now), medians };
  }

  /** Producer side, right after queueing: says at once that the item waits, and where. */
  async announce(envelope: WorkEnvelope, options: { droppable?: boolean } = {}): Promise<void> {
    if (!this.deps.outbox) return;
    if (options.droppable && Date.now() < (this.statusesRefusedUntil.get(envelope.replyTo.platform) ?? 0)) return;
    const sessionKey = sessionKeyOf(envelope.session);
    // One Redis call (the line's read is one script): an item that has started is not in `waiting`.
    const { line, places } = await this.places(sessionKey);
    const place = places[line.waiting.findIndex((e) => e.id === envelope.id)];
    if (!place || !mustWait(place)) return;
    await this.create(sessionKey, envelope, placeWords(messages(envelope.locale), place), WAIT_FOR_LEASE, options.droppable ?? false);
  }

  /**
   * Drainer side, as an item starts: records when, and hands over its queued status message (the
   * item edits it from now on). `waiting`: how many items are still waiting behind it.
   */
  async start(sessionKey: string, envelope: WorkEnvelope, now = Date.now()): Promise<{ ref: SentRef | undefined; waiting: number }> {
    const { redis, prefix } = this.deps;
    const keys = lineKeys(prefix, sessionKey);
    const lease = lineLeaseKey(prefix, envelope.id);
    const replies = await redis
      .multi()
      .set(keys.running, `${envelope.id} ${now}`, "EX", 24 * 3600)
      .exists(lease)
      .hexists(keys.statuses, envelope.id)
      .llen(mailboxKeys(prefix, sessionKey).queue)
      .exec();
    const [, leased, has, waiting] = (replies ?? []).map(([, value]) => Number(value));
    if (!leased && !has) return { ref: undefined, waiting: waiting ?? 0 };
    let ref: SentRef | undefined;
    await this.leased(envelope.id, WAIT_FOR_LEASE, async () => {
      const raw = await redis.hget(keys.statuses, envelope.id);
      if (raw === null) return;
      await redis.hdel(keys.statuses, envelope.id);
      ref = parseStatus(raw)?.ref;
    });
    return { ref, waiting: waiting ?? 0 };
  }

  /**
   * Brings the session's queued statuses up to date: new words where the place changed, a status
   * for an item that now waits without one, "Cancelled" for items gone without starting.
   */
  async refresh(sessionKey: string): Promise<void> {
    const outboxOf = this.deps.outbox;
    if (!outboxOf) return;
    const { redis, prefix } = this.deps;
    const keys = lineKeys(prefix, sessionKey);
    const [{ line, places }, raw] = await Promise.all([this.places(sessionKey), redis.hgetall(keys.statuses)]);
    const waitingIds = new Set(line.waiting.map((e) => e.id));
    for (const [index, envelope] of line.waiting.entries()) {
      const place = places[index];
      if (!place) continue;
      const text = placeWords(messages(envelope.locale), place);
      const entry = raw[envelope.id] === undefined ? undefined : parseStatus(raw[envelope.id] as string);
      if (!entry) {
        if (mustWait(place)) await this.create(sessionKey, envelope, text, TRY_LEASE, true);
      } else if (entry.shown !== text) {
        await this.edit(sessionKey, envelope.id, text, true);
      }
    }
    for (const [id, value] of Object.entries(raw)) {
      if (waitingIds.has(id) || id === line.running?.envelope.id) continue;
      // Gone from the mailbox without starting (a start takes its entry first): it was cancelled.
      const entry = parseStatus(value);
      if (entry) await this.edit(sessionKey, id, messages(entry.locale).queuedCancelled, false, true);
      else await redis.hdel(keys.statuses, id);
    }
    if (line.waiting.length === 0 && (await redis.hlen(keys.statuses)) === 0) await redis.srem(keys.sessions, sessionKey);
  }

  /**
   * Drainer side, when a worker turns the session's drainer away for its user's or chat's fair
   * share: the session is swept until its items start. The producer's one look at a new item can
   * find the drainer just taken up, a moment before it is turned away, and the sweep's read of
   * BullMQ's wait list never sees a drainer parked in the delayed set; without this the item would
   * wait with no word. Idempotent (one SADD); the sweep drops the session once nothing waits.
   */
  async watch(sessionKey: string): Promise<void> {
    await this.deps.redis.sadd(lineKeys(this.deps.prefix, sessionKey).sessions, sessionKey);
  }

  /** Every session with queued statuses or waiting for a worker slot, refreshed (the workers' tick); stops once `signal` aborts. */
  async sweep(sessionQueue: WaitingDrainers, signal?: AbortSignal): Promise<void> {
    const { redis, prefix } = this.deps;
    const sessions = new Set([...(await redis.smembers(lineKeys(prefix, "").sessions)), ...(await sessionsWaitingForSlot(sessionQueue, SWEEP_SLOT_SESSIONS))]);
    for (const sessionKey of sessions) {
      if (signal?.aborted) return;
      await this.refresh(sessionKey).catch((error: unknown) => this.deps.logger.warn({ err: error, sessionKey }, "place in line: refresh failed"));
    }
  }

  /**
   * The workers' tick: every `everyMs`, one worker process at a time sweeps (see SoloSweep). A sweep
   * slower than that (a busy platform, thousands of sessions) holds the lock until it ends, so no
   * other process refreshes the same statuses beside it.
   */
  sweeper(sessionQueue: WaitingDrainers, everyMs: number): SoloSweep {
    const { redis, prefix, logger } = this.deps;
    return new SoloSweep({
      redis,
      key: lineSweepKey(prefix),
      periodMs: everyMs,
      sweep: (signal) => this.sweep(sessionQueue, signal),
      onError: (error) => logger.warn({ err: error }, "place in line: sweep failed"),
    });
  }

  private async currentMedians(now: number): Promise<Medians> {
    if (this.medians && now - this.medians.at < MEDIANS_FRESH_MS) return this.medians.value;
    const value = await this.durations.medians();
    this.medians = { at: now, value };
    return value;
  }

  /** Posts the first queued status of an item still waiting, under its lease. */
  private async create(sessionKey: string, envelope: WorkEnvelope, text: string, lease: LockOptions, droppable: boolean): Promise<void> {
    const { redis, prefix, outbox } = this.deps;
    if (!outbox) return;
    const keys = lineKeys(prefix, sessionKey);
    await this.leased(envelope.id, lease, async () => {
      if (!(await needsStatus(redis, keys.statuses, mailboxKeys(prefix, sessionKey).queue, envelope))) return;
      const ref = await this.send(outbox(envelope.replyTo.platform), envelope.replyTo, undefined, text, droppable);
      if (typeof ref === "string") return;
      const entry: QueuedStatus = { ref, to: envelope.replyTo, locale: envelope.locale, shown: text };
      await redis.multi().hset(keys.statuses, envelope.id, JSON.stringify(entry)).sadd(keys.sessions, sessionKey).exec();
    });
  }

  /** Edits a queued status whose item has not started (its entry still there); `last` removes the entry. */
  private async edit(sessionKey: string, id: string, text: string, droppable: boolean, last = false): Promise<void> {
    const { redis, prefix, outbox } = this.deps;
    if (!outbox) return;
    const keys = lineKeys(prefix, sessionKey);
    await this.leased(id, last ? WAIT_FOR_LEASE : TRY_LEASE, async () => {
      const raw = await redis.hget(keys.statuses, id);
      const entry = raw === null ? undefined : parseStatus(raw);
      if (!entry) return;
      const ref = await this.send(outbox(entry.to.platform), entry.to, entry.ref, text, droppable);
      // The last words are tried again by the next refresh while the platform is busy.
      if (last && ref !== "busy") await redis.hdel(keys.statuses, id);
      else if (typeof ref !== "string") await redis.hset(keys.statuses, id, JSON.stringify({ ...entry, ref, shown: text }));
    });
  }

  /** One status post or edit: its ref, "busy" when the platform's limits refused it, "failed" otherwise. */
  private async send(outbox: Outbox, to: ReplyHandle, ref: SentRef | undefined, text: string, droppable: boolean): Promise<SentRef | "busy" | "failed"> {
    try {
      // A place in line is a status: when the platform is busy it gives way to answers and videos
      // (a new one too; 2,000 "Queued" messages sent as answers would hold every video back a minute).
      return await outbox.upsertStatus(to, ref, text, droppable ? { droppable: true } : { yields: true });
    } catch (error) {
      // A place in line is a courtesy: the next refresh says it again with the words of then.
      if (error instanceof RateLimitedError) {
        if (droppable) this.statusesRefusedUntil.set(to.platform, Date.now() + REFUSED_STATUS_BACKOFF_MS);
        return "busy";
      }
      this.deps.logger.warn({ err: error }, "place in line: status edit failed");
      return "failed";
    }
  }

  private async leased(id: string, options: LockOptions, fn: () => Promise<void>): Promise<void> {
    try {
      await withLock(this.deps.redis, lineLeaseKey(this.deps.prefix, id), options, fn);
    } catch (error) {
      // Busy lease: whoever holds it is editing this status now.
      if (!(error instanceof Error && "code" in error && error.code === "lock_timeout")) throw error;
    }
  }
}

function parseStatus(raw: string): QueuedStatus | undefined {
  try {
    const value = JSON.parse(raw) as Partial<QueuedStatus>;
    return value.ref && value.to && value.locale && typeof value.shown === "string" ? (value as QueuedStatus) : undefined;
  } catch {
    return undefined;
  }
}
