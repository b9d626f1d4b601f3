import { RateLimitedError } from "../errors.js";
import type { RedisClient } from "../redis/client.js";
import type { SharedRateLimiter } from "../ratelimit/shared-limiter.js";

/**
 * Every message a person sends costs something (a Redis read, often a backend call, an answer), so
 * each person gets a rate of messages of any kind, kept in Redis with the same GCRA limiter the
 * platforms' limits use: `perMinute` on average, `burst` at once after a quiet spell. Past it,
 * messages are dropped, and the person is told once per spell rather than once per message.
 */
export interface MessageRate {
  /** 0 = no limit. */
  perMinute: number;
  burst: number;
}

export type RateVerdict = { ok: true } | { ok: false; tell: boolean; retryAfterMs: number };

export class MessageRateLimit {
  constructor(
    private readonly options: { redis: RedisClient; prefix: string; limiter: SharedRateLimiter; rate: MessageRate },
  ) {}

  async admit(userKey: string): Promise<RateVerdict> {
    const scope = this.scope(userKey);
    if (!scope) return { ok: true };
    try {
      await this.options.limiter.take([{ key: scope.key, rate: { intervalMs: scope.intervalMs, burst: scope.burst } }], { maxWaitMs: 0 });
      return { ok: true };
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      return this.refused(userKey, error.retryAfterMs);
    }
  }

  /**
   * The user's scope in the limiter (undefined: no limit), for a caller that takes the slot in a
   * script of its own (the router's first read); `toleranceMs` as the limiter computes it.
   */
  scope(userKey: string): { key: string; intervalMs: number; burst: number; toleranceMs: number } | undefined {
    const { perMinute, burst } = this.options.rate;
    if (perMinute <= 0) return undefined;
    const intervalMs = 60_000 / perMinute;
    const slots = Math.max(1, burst);
    return { key: `${this.options.prefix}:msgrate:${userKey}`, intervalMs, burst: slots, toleranceMs: (slots - 1) * intervalMs };
  }

  /** A message refused for `retryAfterMs`: told once until a message could pass again (the marker lives as long as the wait). */
  async refused(userKey: string, retryAfterMs: number): Promise<RateVerdict> {
    const ttl = Math.max(1_000, Math.ceil(retryAfterMs));
    const first = await this.options.redis.set(`${this.options.prefix}:msgrate-told:${userKey}`, "1", "PX", ttl, "NX");
    return { ok: false, tell: first === "OK", retryAfterMs };
  }
}
