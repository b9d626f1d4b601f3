import type { WorkerTuning } from "../../jobs/index.js";

/** Workers with every wait shrunk, for tests that run them in-process: locks, sweeps, pacing. */
export const TINY_TUNING: WorkerTuning = {
  lockDurationMs: 2_000,
  stalledIntervalMs: 500,
  shutdownGraceMs: 2_000,
  repairEveryMs: 1_000,
  itemRetryMs: 50,
  pacing: { privateMs: 5, groupMs: 10 },
  lineEveryMs: 200,
};

/** Settings for in-process end-to-end tests: polls, recovery waits and the 429 retry made tiny. */
export const FAST_E2E_ENV = {
  STILL_WORKING_MS: "60000",
  RENDER_POLL_MS: "30",
  RECOVERY_FIRST_WAIT_MS: "50",
  RECOVERY_POLL_MS: "50",
  RETRY_AFTER_429_MS: "50",
  DELIVERY_RETRY_MS: "20",
} as const;

/**
 * Telegram's limits in tests run four times faster (one message per 250 ms in a private chat): the
 * fake Telegram (`startFakeTelegram({ timeScale })`) and the bot's limiter (FAST_TUNING) alike, so
 * the bot still has to pace itself to pass.
 */
export const TELEGRAM_TIME_SCALE = 0.25;
