/**
 * One base for every error the bot raises on purpose: a stable string `code` that callers switch
 * on (never the message text) and the `cause` that led to it.
 */
export class ChatError extends Error {
  override readonly name: string = "ChatError";
  readonly code: ChatErrorCode;

  constructor(code: ChatErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Every code a ChatError can carry: a closed set, so a `switch` over it is checked for exhaustiveness
 * and no layer invents a code another layer cannot know.
 */
export type ChatErrorCode = NemoErrorCode | PlatformErrorCode | AttachmentErrorCode | RenderDownloadErrorCode | SetupErrorCode;

/**
 * What a chat platform's refusal means for the work, whichever platform said it. Each adapter
 * translates its platform's errors (Telegram's descriptions, Discord's JSON codes, HTTP statuses)
 * into these; jobs act on them and never on a platform's numbers.
 */
export type PlatformErrorCode =
  | "video_too_large" // the file is over what this chat accepts: send the link instead
  | "rate_limited" // wait `retryAfterMs` (a RateLimitedError) and try again
  | "target_gone" // the message, interaction or chat to answer no longer exists
  | "forbidden" // the bot may not post there (blocked, no permission, DMs closed)
  | "platform_refused"; // any other refusal or failure of the platform's API

/** Opening a user's attachment. */
export type AttachmentErrorCode =
  | "unsupported_source" // this adapter cannot open that kind of attachment
  | "attachment_unavailable" // the platform no longer serves it (an expired link)
  | "file_too_big_for_cloud" // over what the platform lets a bot download
  | "attachment_download_failed";

/** Fetching a finished render (src/nemo/download.ts). */
export type RenderDownloadErrorCode = "download_refused" | "download_not_video" | "download_truncated" | "download_failed";

/** The process cannot run as configured, or its own state is broken. */
export type SetupErrorCode =
  | "config_invalid"
  | "redis_missing"
  | "no_adapter"
  | "already_started"
  | "lock_timeout"
  | "token_storage_off"
  | "accounts_broken"
  | "token_unreadable";

/** Codes of the NemoVideo backend's failures, as the contract's error table names them. */
export type NemoErrorCode =
  | "token_invalid" // 1001: bad or expired token
  | "session_not_found" // 1002, or HTTP 404 {"detail":"Session not found"}
  | "no_credits" // 2001 (bindId may be known)
  | "unsupported_file" // 4001
  | "file_too_large" // 4002
  | "missing_client_id" // HTTP 400 on the anonymous-token call
  | "anonymous_limit" // the per-IP anonymous-token limit
  | "plan_blocked" // HTTP 402: free plan export blocked
  | "rate_limited" // HTTP 429 (after the client's one retry)
  | "server" // HTTP 5xx
  | "bad_request" // other HTTP 4xx (422 and the like)
  | "bad_response" // an answer we cannot read
  | "turn_failed" // the event stream reported an error
  | "turn_timeout" // the 15-minute limit or 10 minutes of heartbeats only
  | "network" // no connection, reset, DNS
  | "timeout" // a request's own timeout
  | "render_failed" // the render ended in `failed`
  | "unknown";

/** Every failure of a NemoVideo call. `backendCode` is the envelope's numeric code when one came. */
export class NemoError extends ChatError {
  override readonly name = "NemoError";
  declare readonly code: NemoErrorCode;
  readonly status: number | undefined;
  readonly backendCode: number | undefined;
  /** For `no_credits`: the id for the registration link's `?bind=`. */
  readonly bindId: string | undefined;

  constructor(
    code: NemoErrorCode,
    message: string,
    details: { status?: number; backendCode?: number; bindId?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.backendCode = details.backendCode;
    this.bindId = details.bindId;
  }
}

export function isNemoError(error: unknown, code?: NemoErrorCode): error is NemoError {
  return error instanceof NemoError && (code === undefined || error.code === code);
}

/**
 * A chat platform's rate limit held a send back: Telegram or Discord answered 429, or the bot's own
 * pacing (shared by all its processes) saw no slot within the wait the caller accepts. Nothing was
 * sent; the caller may try again after `retryAfterMs` (a status message keeps only its latest text).
 */
export class RateLimitedError extends ChatError {
  override readonly name: string = "RateLimitedError";
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super("rate_limited", message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The bot's own pacing had no send slot within the wait the caller accepts: the platform was not
 * asked and refused nothing. Waiting for a slot is not a failure: a job parks until `retryAfterMs`
 * (a delayed step, its worker slot free meanwhile) rather than counting it against its retries.
 */
export class SendSlotBusyError extends RateLimitedError {
  override readonly name: string = "SendSlotBusyError";
}

/**
 * Like SendSlotBusyError, but the slot was taken for the caller (`holdBeyond`): it is due in
 * `retryAfterMs`, and the send claims it then instead of queueing again.
 */
export class SendSlotReservedError extends SendSlotBusyError {
  override readonly name: string = "SendSlotReservedError";
  constructor(
    message: string,
    retryAfterMs: number,
    readonly reservation: { at: number; deferred: { key: string; rate: { intervalMs: number; burst: number } }[] },
  ) {
    super(message, retryAfterMs);
  }
}
