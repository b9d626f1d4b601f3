import { Redis } from "ioredis";
import type { TelegramTuning } from "../../adapters/telegram/index.js";
import { TELEGRAM_TIME_SCALE } from "./tuning.js";

/**
 * Small waits everywhere: the fake answers 429s with `retry_after: 1`, the smallest Telegram sends.
 * Telegram's limits run at TELEGRAM_TIME_SCALE: start the fake with `{ timeScale: TELEGRAM_TIME_SCALE }`.
 */
export const FAST_TUNING: TelegramTuning = {
  albumWindowMs: 60,
  activityIntervalMs: 25,
  retryPolicy: { maxInteractiveWaitSeconds: 2, maxUploadWaitSeconds: 2, smallUploadBytes: 64 * 1024 },
  rateLimits: { timeScale: TELEGRAM_TIME_SCALE },
};

/** A connection for an adapter's rate limiter, on the test run's redis-server; close it after the test. */
export function limiterRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}
