import { GrammyError } from "grammy";
import { ChatError, RateLimitedError, type PlatformErrorCode } from "../../src/errors.js";
import { retryAfterOf } from "./api.js";
import { describeError } from "./describe-error.js";

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

/** Any other refusal of the Bot API, in the words jobs act on (src/errors.ts). */
export class TelegramRefusedError extends ChatError {
  override readonly name = "TelegramRefusedError";
  constructor(code: PlatformErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * What the outbox lets out: our own errors as they are, and the Bot API's refusals translated, so
 * jobs never read Telegram's status codes or descriptions. The message is the scrubbed summary; the
 * library's error stays only as `cause`.
 */
export function toTelegramChatError(error: unknown): unknown {
  if (error instanceof ChatError) return error;
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) return new TelegramRateLimitedError(String((error as GrammyError).method), retryAfter, { cause: error });
  const summary = describeError(error);
  return new TelegramRefusedError(platformCodeOf(error), `Telegram refused the request: ${summary.message}`, { cause: error });
}

function platformCodeOf(error: unknown): PlatformErrorCode {
  if (!(error instanceof GrammyError)) return "platform_refused";
  const description = typeof error.description === "string" ? error.description.toLowerCase() : "";
  // 403: blocked by the user, kicked from the group, or no right to post there.
  if (error.error_code === 403) return "forbidden";
  if (error.error_code === 413 || description.includes("too large") || description.includes("file is too big")) return "video_too_large";
  if (["chat not found", "message to edit not found", "message thread not found", "message to reply not found"].some((gone) => description.includes(gone))) {
    return "target_gone";
  }
  return "platform_refused";
}
