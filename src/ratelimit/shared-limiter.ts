import type { RedisClient } from "../redis/client.js";
import { setTimeout as sleep } from "node:timers/promises";
import { RateLimitedError } from "../errors.js";
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
}

type LimiterCommands = {
  rateLimitReserve(...args: (string | number)[]): Promise<[number, number]>;
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
 */
export class SharedRateLimiter {
  private readonly redis: RedisClient & LimiterCommands;
  private lastFailureLog = 0;

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
    let reply: [number, number];
    try {
      const args = scopes.flatMap((s) => [String(s.rate.intervalMs), String(tolerance(s.rate))]);
      reply = await this.redis.rateLimitReserve(scopes.length, ...scopes.map((s) => s.key), Number.isFinite(maxWaitMs) ? String(Math.max(0, maxWaitMs)) : "-1", ...args);
    } catch (error) {
      this.logFailure(error);
      return;
    }
    const [granted, waitMs] = reply;
    if (granted !== 1) throw new RateLimitedError(`no send slot within ${maxWaitMs} ms (next in ${waitMs} ms)`, Math.max(1, waitMs - maxWaitMs));
    if (waitMs > 0) await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : {});
  }

  /** The platform answered 429: no send in these scopes for `ms` (every process waits it out). */
  async pause(scopes: Scope[], ms: number): Promise<void> {
    if (scopes.length === 0) return;
    try {
      await this.redis.rateLimitPause(scopes.length, ...scopes.map((s) => s.key), String(ms), ...scopes.map((s) => String(tolerance(s.rate))));
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

  private logFailure(error: unknown): void {
    // Once a minute at most: a Redis outage must not flood the log from every send.
    if (Date.now() - this.lastFailureLog < 60_000) return;
    this.lastFailureLog = Date.now();
    this.logger.warn({ err: error }, "rate limiter: Redis unreachable, sending without shared pacing");
  }
}
