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
    const { perMinute, burst } = this.options.rate;
    if (perMinute <= 0) return { ok: true };
    const scope = { key: `${this.options.prefix}:msgrate:${userKey}`, rate: { intervalMs: 60_000 / perMinute, burst: Math.max(1, burst) } };
    try {
      await this.options.limiter.take([scope], { maxWaitMs: 0 });
      return { ok: true };
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      // Told once until a message could pass again: the marker lives as long as the wait.
      const ttl = Math.max(1_000, Math.ceil(error.retryAfterMs));
      const first = await this.options.redis.set(`${this.options.prefix}:msgrate-told:${userKey}`, "1", "PX", ttl, "NX");
      return { ok: false, tell: first === "OK", retryAfterMs: error.retryAfterMs };
    }
  }
}
