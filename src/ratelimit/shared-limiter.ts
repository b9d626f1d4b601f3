import type { RedisClient } from "../redis/client.js";
import { setTimeout as sleep } from "node:timers/promises";
import { SendSlotBusyError, SendSlotReservedError } from "../errors.js";
import type { Logger } from "../log.js";
import { COUNT, PAUSE, RESERVE } from "./gcra-lua.js";

/** One send per `intervalMs` on average; `burst` sends may go at once after a quiet spell (1: none ahead of schedule). */
export interface Rate {
  intervalMs: number;
  burst: number;
}

/** What a send counts against: a Redis key (under QUEUE_PREFIX) and its rate. */
export interface Scope {
  key: string;
  rate: Rate;
}

/** How long a send may wait for its slot; past it, nothing is reserved and RateLimitedError is thrown. */
export interface TakeOptions {
  maxWaitMs?: number;
  signal?: AbortSignal;
  /**
   * Past `maxWaitMs`, reserve the slot anyway and throw SendSlotReservedError carrying it: the
   * caller parks (holding no worker slot) and comes back for the slot with `claim`. A video takes
   * its place in line at once, in the order renders finished, instead of asking again and again.
   */
  holdBeyond?: boolean;
}

/** A slot taken in advance: due at `at` (local time); `deferred` scopes are taken when it comes. */
export interface Reservation {
  at: number;
  deferred: Scope[];
}

type LimiterCommands = {
  rateLimitReserve(...args: (string | number)[]): Promise<[number, number, number?, number?]>;
  rateLimitPause(...args: (string | number)[]): Promise<number>;
  rateLimitCount(...args: (string | number)[]): Promise<number>;
};

const tolerance = (rate: Rate) => Math.max(0, rate.burst - 1) * rate.intervalMs;

/**
 * A platform's rate limits, shared by every process of one bot through Redis (the bot process
 * answers commands while worker processes post results, all under the same limits). One round trip
 * per send: the script takes a slot in every scope at once, or none.
 *
 * Keys live under QUEUE_PREFIX, so a hash-tagged prefix (`{nemo}`) keeps a send's scopes in one
 * Redis Cluster slot, as a multi-key script requires.
 *
 * When Redis cannot be reached the limiter lets sends through (logged): the platform's own 429s,
 * handled by the callers, are the backstop, and an answer is worth more than exact pacing.
 *
 * Each answer also tells this process how far a scope's queue reaches (its next free slot is no
 * sooner than that: reservations and pauses only ever move it later). A send that accepts a short
 * wait only (a status edit) is refused from that memory without asking Redis while the queue is
 * known to be longer, so thousands of status messages waiting out a busy bot cost no round trips.
 */
export class SharedRateLimiter {
  private readonly redis: RedisClient & LimiterCommands;
  private lastFailureLog = 0;
  /** Scope key → local time before which that scope is known to have no free slot. */
  private readonly busyUntil = new Map<string, number>();

  constructor(
    redis: RedisClient,
    private readonly logger: Logger,
  ) {
    redis.defineCommand("rateLimitReserve", { lua: RESERVE });
    redis.defineCommand("rateLimitPause", { lua: PAUSE });
    redis.defineCommand("rateLimitCount", { numberOfKeys: 1, lua: COUNT });
    this.redis = redis as RedisClient & LimiterCommands;
  }

  /**
   * Takes the next slot in every scope and resolves when it is due (having waited for it). A send
   * that would wait longer than `maxWaitMs` takes nothing and gets RateLimitedError, whose
   * `retryAfterMs` says when a slot within its wait could be free.
   */
  async take(scopes: Scope[], options: TakeOptions = {}): Promise<void> {
    if (scopes.length === 0) return;
    const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    const now = Date.now();
    const knownWait = Math.max(...scopes.map((s) => this.busyUntil.get(s.key) ?? 0)) - now;
    if (knownWait > maxWaitMs && !options.holdBeyond) throw new SendSlotBusyError(`no send slot within ${maxWaitMs} ms (next in ${knownWait} ms at the soonest)`, Math.max(1, knownWait - maxWaitMs));
    let reply: [number, number, number?, number?];
    try {
      const args = scopes.flatMap((s) => [String(s.rate.intervalMs), String(tolerance(s.rate))]);
      const accepted = Number.isFinite(maxWaitMs) && !options.holdBeyond ? String(Math.max(0, maxWaitMs)) : "-1";
      reply = await this.redis.rateLimitReserve(scopes.length, ...scopes.map((s) => s.key), accepted, ...args);
    } catch (error) {
      this.logFailure(error);
      return;
    }
    const [granted, waitMs, busiest = 0, deferredBits = 0] = reply;
    if (granted !== 1) {
      const scope = scopes[busiest - 1];
      if (scope) this.remember(scope.key, now + waitMs);
      throw new SendSlotBusyError(`no send slot within ${maxWaitMs} ms (next in ${waitMs} ms)`, Math.max(1, waitMs - maxWaitMs));
    }
    const deferred = scopes.filter((_, i) => (deferredBits & (1 << i)) !== 0);
    // Our slot is now + waitMs in every reserved scope: each one's next is an interval later (less its burst).
    for (const s of scopes) if (!deferred.includes(s)) this.remember(s.key, now + waitMs + s.rate.intervalMs - tolerance(s.rate));
    if (waitMs > maxWaitMs) {
      // Only with holdBeyond: the slot is ours, further off than the caller would sleep.
      throw new SendSlotReservedError(`send slot reserved in ${waitMs} ms`, waitMs, { at: now + waitMs, deferred });
    }
    await this.claim({ at: now + waitMs, deferred }, options);
  }

  /**
   * Sends on a slot taken earlier (`holdBeyond`): waits until it is due, then takes the scopes left
   * for that moment (a chat whose own queue was short then), within `maxWaitMs`.
   */
  async claim(reservation: Reservation, options: Omit<TakeOptions, "holdBeyond"> = {}): Promise<void> {
    const now = Date.now();
    const waitMs = Math.max(0, reservation.at - now);
    const { deferred } = reservation;
    const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    if (waitMs > 0) await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : {});
    // A scope whose own queue was far shorter (the bot's, behind one busy group) is taken now that
    // the slot has come, not reserved back then: its other sends were free to go in between.
    if (deferred.length > 0) {
      const left = Number.isFinite(maxWaitMs) ? Math.max(0, maxWaitMs - (Date.now() - now)) : undefined;
      await this.take(deferred, { ...(left !== undefined ? { maxWaitMs: left } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    }
  }

  /** The platform answered 429: no send in these scopes for `ms` (every process waits it out). */
  async pause(scopes: Scope[], ms: number): Promise<void> {
    if (scopes.length === 0) return;
    try {
      const now = Date.now();
      await this.redis.rateLimitPause(scopes.length, ...scopes.map((s) => s.key), String(ms), ...scopes.map((s) => String(tolerance(s.rate))));
      for (const s of scopes) this.remember(s.key, now + ms);
    } catch (error) {
      this.logFailure(error);
    }
  }

  /** Counts one event under `key` and returns how many happened in the current window of `windowMs`. */
  async count(key: string, windowMs: number): Promise<number> {
    try {
      return await this.redis.rateLimitCount(key, String(windowMs));
    } catch (error) {
      this.logFailure(error);
      return 1;
    }
  }

  /** `key` has no free slot before `until` (local time); forgotten once that has passed. */
  private remember(key: string, until: number): void {
    if (until <= (this.busyUntil.get(key) ?? 0)) return;
    this.busyUntil.set(key, until);
    // One entry per busy chat: past ones are swept now and then, so the map stays small.
    if (this.busyUntil.size > 1000 && this.busyUntil.size % 500 === 1) {
      const now = Date.now();
      for (const [k, t] of this.busyUntil) if (t <= now) this.busyUntil.delete(k);
    }
  }

  private logFailure(error: unknown): void {
    // Once a minute at most: a Redis outage must not flood the log from every send.
    if (Date.now() - this.lastFailureLog < 60_000) return;
    this.lastFailureLog = Date.now();
    this.logger.warn({ err: error }, "rate limiter: Redis unreachable, sending without shared pacing");
  }
}
