import { randomUUID } from "node:crypto";
import type { RedisClient } from "./client.js";

/**
 * A periodic sweep that every process of a bot starts and that runs in at most one of them at a
 * time, about once a period across all of them.
 *
 * A sweep takes a lock (`key`, SET NX with a token of its own) and holds it for as long as it runs,
 * renewing it every third of the period: a sweep slower than its period (a slow platform, a Redis
 * under load, thousands of sessions) is never overlapped by another process's, nor by this process's
 * next tick. When it ends the lock stays until four fifths of the period have passed since its tick,
 * so the other processes' ticks in that time skip, while this process's own next tick (a period on)
 * finds it gone: kept for the whole period, it would lapse about when that tick comes, and a tick
 * landing just before would skip a whole period. A sweep that outlasted that gives the lock up at
 * once. The lock of a process killed mid-sweep lapses within a period.
 *
 * Renewal and the end compare the token first (one Lua script each): a holder whose lock lapsed
 * (its process stalled past the period, Redis lost the key) never extends or removes another's.
 * If a renewal finds the lock gone or taken, the sweep's signal aborts and it stops at its next step.
 */

export interface SoloSweepOptions {
  redis: RedisClient;
  /** The lock: one key per sweep and bot (under the bot's prefix). */
  key: string;
  /** How often it sweeps (across all processes), and how long a killed sweeper's lock outlives it. */
  periodMs: number;
  /** One sweep; it should stop at its next step once `signal` aborts (lock lost, or `stop`). */
  sweep: (signal: AbortSignal) => Promise<void>;
  /** A sweep that threw, or a lock that could not be asked for (Redis unreachable). */
  onError: (error: unknown) => void;
}

// Extends the lock only while this sweep holds it.
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/** The share of the period, counted from a sweep's tick, that its lock keeps the other processes out. */
const KEPT_SHARE = 0.8;

// At the end: kept ARGV[2] ms more, or removed when that is none; only if still ours.
const FINISH = `if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then return redis.call("pexpire", KEYS[1], ARGV[2]) end
return redis.call("del", KEYS[1])`;

type Scripted = RedisClient & {
  soloSweepRenew(key: string, token: string, ttlMs: number): Promise<number>;
  soloSweepFinish(key: string, token: string, restMs: number): Promise<number>;
};

/** The scripts as commands of this connection: EVALSHA, not the script's text with every call. */
function scripted(redis: RedisClient): Scripted {
  if (!("soloSweepRenew" in redis)) {
    redis.defineCommand("soloSweepRenew", { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand("soloSweepFinish", { numberOfKeys: 1, lua: FINISH });
  }
  return redis as Scripted;
}

export class SoloSweep {
  private timer: NodeJS.Timeout | undefined;
  private current: { controller: AbortController; done: Promise<boolean> } | undefined;
  private stopped = false;
  /** The token of this process's last lock, which may still hold back the others for most of its period. */
  private lastToken: string | undefined;

  constructor(private readonly options: SoloSweepOptions) {}

  /**
   * Sweeps now, unless a process (this one included) is sweeping or swept within the period.
   * True when this call swept. Never throws: failures go to `onError`.
   */
  async runOnce(): Promise<boolean> {
    if (this.stopped || this.current) return false;
    const controller = new AbortController();
    const done = this.locked(controller);
    this.current = { controller, done };
    try {
      return await done;
    } finally {
      this.current = undefined;
    }
  }

  /** `runOnce` every period until `stop` (the timer keeps no process alive). */
  start(): this {
    this.timer ??= setInterval(() => void this.runOnce(), this.options.periodMs);
    this.timer.unref();
    return this;
  }

  /**
   * No more sweeps here; a sweep under way is told to stop and awaited, and the lock is given up, so
   * another process (or this one restarted) sweeps at its next tick rather than after the period.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const current = this.current;
    current?.controller.abort(new Error("sweep stopped"));
    await current?.done;
    if (this.lastToken === undefined) return;
    await scripted(this.options.redis)
      .soloSweepFinish(this.options.key, this.lastToken, 0)
      .catch(() => undefined);
  }

  private async locked(controller: AbortController): Promise<boolean> {
    const { redis, key, periodMs, sweep, onError } = this.options;
    const token = randomUUID();
    const tickAt = Date.now();
    try {
      if ((await redis.set(key, token, "PX", periodMs, "NX")) !== "OK") return false;
    } catch (error) {
      onError(error);
      return false;
    }
    this.lastToken = token;
    const renewal = setInterval(
      () =>
        void scripted(redis)
          .soloSweepRenew(key, token, periodMs)
          .then(
            (held) => {
              if (held === 0) controller.abort(new Error(`lost the sweep's lock ${key}`));
            },
            // Unanswered: the lock may still be ours; it lapses by itself if not.
            () => undefined,
          ),
      Math.max(1, Math.floor(periodMs / 3)),
    );
    renewal.unref();
    try {
      await sweep(controller.signal);
    } catch (error) {
      onError(error);
    } finally {
      clearInterval(renewal);
      // Stopped early: the next process may sweep at its next tick rather than after the period.
      const restMs = controller.signal.aborted ? 0 : Math.ceil(tickAt + KEPT_SHARE * periodMs - Date.now());
      // Unanswered: the lock lapses by itself within a period.
      await scripted(redis)
        .soloSweepFinish(key, token, Math.max(0, restMs))
        .catch(() => undefined);
    }
    return true;
  }
}
