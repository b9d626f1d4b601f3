import type { RedisClient } from "../../src/redis/client.js";
import { durationsKey } from "../keys.js";

/**
 * How long each kind of item took, measured: the last WINDOW durations per kind in a Redis list
 * (shared by every process), read as their median. The median, not the mean, so one 15-minute
 * turn does not make every estimate after it absurd; a rolling window, so the estimate follows
 * the backend as it speeds up or slows down.
 */

/** Mailbox items by kind, and "render" (the export's render, outside the mailbox). */
export type DurationKind = "turn" | "upload" | "export" | "render";

export const DURATION_KINDS: readonly DurationKind[] = ["turn", "upload", "export", "render"];

/** How many recent durations each median is taken over. */
export const WINDOW = 51;

/** Medians in ms; a kind never measured is absent. */
export type Medians = Partial<Record<DurationKind, number>>;

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export class Durations {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async record(kind: DurationKind, ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return;
    const key = durationsKey(this.prefix, kind);
    await this.redis.multi().lpush(key, String(Math.round(ms))).ltrim(key, 0, WINDOW - 1).exec();
  }

  async medians(): Promise<Medians> {
    const pipeline = this.redis.pipeline();
    for (const kind of DURATION_KINDS) pipeline.lrange(durationsKey(this.prefix, kind), 0, WINDOW - 1);
    const replies = (await pipeline.exec()) ?? [];
    const result: Medians = {};
    DURATION_KINDS.forEach((kind, i) => {
      const [error, values] = replies[i] ?? [];
      if (error || !Array.isArray(values)) return;
      const value = median(values.map(Number).filter((n) => Number.isFinite(n)));
      if (value !== undefined) result[kind] = value;
    });
    return result;
  }
}
