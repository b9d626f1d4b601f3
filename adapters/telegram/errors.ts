import { ChatError, RateLimitedError } from "../../src/errors.js";

/**
 * Telegram's flood control refused a call that the outbox must not repeat on its own (a large
 * upload): the caller may try again after `retryAfterMs`, knowingly.
 */
export class TelegramRateLimitedError extends RateLimitedError {
  override readonly name = "TelegramRateLimitedError";
  constructor(method: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(`Telegram rate-limited ${method}; retry after ${retryAfterSeconds} s`, retryAfterSeconds * 1000, options);
  }
}

/** Telegram refused a video as too big for this server (413 or "file is too big"): send a link instead. */
export class TelegramVideoTooLargeError extends ChatError {
  override readonly name = "TelegramVideoTooLargeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("video_too_large", message, options);
  }
}
