import { ChatError } from "../../src/errors.js";

/**
 * Telegram's flood control refused a call that the outbox must not repeat on its own (a large
 * upload): the caller may try again after `retryAfterMs`, knowingly.
 */
export class TelegramRateLimitedError extends ChatError {
  override readonly name = "TelegramRateLimitedError";
  readonly retryAfterMs: number;
  constructor(method: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super("rate_limited", `Telegram rate-limited ${method}; retry after ${retryAfterSeconds} s`, options);
    this.retryAfterMs = retryAfterSeconds * 1000;
  }
}

/** Telegram refused a video as too big for this server (413 or "file is too big"): send a link instead. */
export class TelegramVideoTooLargeError extends ChatError {
  override readonly name = "TelegramVideoTooLargeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("video_too_large", message, options);
  }
}
