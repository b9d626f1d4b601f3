import type { RedisClient } from "../redis/client.js";

/**
 * Per-user hourly limits on edit turns and exports, so one person cannot drain credits that many
 * share. A counter per user per kind per clock hour (UTC); all kinds a request needs are checked
 * and taken in one Lua call, so a refused request takes nothing.
 */

export type QuotaKind = "turn" | "export" | "upload";

export type QuotaVerdict =
  | { ok: true }
  | { ok: false; kind: QuotaKind; limit: number; /** ms since epoch when more are allowed */ resetAt: number };

export interface Quotas {
  /** Takes one of each kind, or none when any is used up. */
  take(userKey: string, kinds: QuotaKind[]): Promise<QuotaVerdict>;
}

export interface QuotaLimits {
  /** 0 = no limit. */
  turnsPerHour: number;
  exportsPerHour: number;
  /** Absent: no limit. */
  uploadsPerHour?: number;
}

// KEYS: the counters; ARGV[1]: their lifetime in ms; ARGV[1+i]: the limit of KEYS[i] (0 = none).
// Returns 0 when taken, else the index of the first counter that is used up.
const TAKE = `
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i + 1])
  if limit > 0 and tonumber(redis.call("get", KEYS[i]) or "0") >= limit then return i end
end
for i = 1, #KEYS do
  if tonumber(ARGV[i + 1]) > 0 then
    redis.call("incr", KEYS[i])
    redis.call("pexpire", KEYS[i], ARGV[1])
  end
end
return 0
`;

export class RedisQuotas implements Quotas {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly redis: RedisClient & { quotaTake(...args: (string | number)[]): Promise<number> };

  constructor(
    private readonly options: {
      redis: RedisClient;
      prefix: string;
      limits: QuotaLimits;
      /** Default one hour; windows start on the clock (14:00, 15:00 UTC). */
      windowMs?: number;
      now?: () => number;
    },
  ) {
    this.windowMs = options.windowMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    // A command of the connection: EVALSHA, not the script's text with every message.
    if (!("quotaTake" in options.redis)) options.redis.defineCommand("quotaTake", { lua: TAKE });
    this.redis = options.redis as RedisClient & { quotaTake(...args: (string | number)[]): Promise<number> };
  }

  async take(userKey: string, kinds: QuotaKind[]): Promise<QuotaVerdict> {
    const wanted = [...new Set(kinds)].filter((kind) => this.limitOf(kind) > 0);
    if (wanted.length === 0) return { ok: true };
    const window = Math.floor(this.now() / this.windowMs);
    const resetAt = (window + 1) * this.windowMs;
    const keys = wanted.map((kind) => `${this.options.prefix}:quota:${kind}:${userKey}:${window}`);
    const limits = wanted.map((kind) => String(this.limitOf(kind)));
    const result = Number(await this.redis.quotaTake(keys.length, ...keys, String(this.windowMs + 60_000), ...limits));
    if (result === 0) return { ok: true };
    const kind = wanted[result - 1] ?? "turn";
    return { ok: false, kind, limit: this.limitOf(kind), resetAt };
  }

  private limitOf(kind: QuotaKind): number {
    const { limits } = this.options;
    return kind === "turn" ? limits.turnsPerHour : kind === "export" ? limits.exportsPerHour : (limits.uploadsPerHour ?? 0);
  }
}
