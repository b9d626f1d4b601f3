import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { Api, GrammyError, type Transformer } from "grammy";
import type { SendLane } from "./rate-limits.js";

/** How the adapter's Bot API clients wait on Telegram's flood control. */
export interface RetryPolicy {
  /** Longest `retry_after` an interactive call (a text, a status edit) waits out; longer fails fast. */
  maxInteractiveWaitSeconds: number;
  /** How many times an interactive call is retried after a 429. */
  maxInteractiveRetries: number;
  /** An upload up to this size is sent once more after one 429; a bigger one is never re-sent. */
  smallUploadBytes: number;
  /** Longest `retry_after` a small upload waits out before its one re-send. */
  maxUploadWaitSeconds: number;
  /** Seconds before grammY gives up on an upload request. */
  uploadTimeoutSeconds: number;
  /**
   * A kept-alive connection to the Bot API idle this long is closed by us. A server closes idle
   * connections after its own timeout (Node's 5 s, nginx's 75 s by default); a send that picks such
   * a connection just as the server closes it fails with ECONNRESET, which grammY does not retry
   * and which a job must treat as "maybe sent" (a turn's answer then waits in recovery for minutes).
   * Closing first, on our side, leaves no such moment. Open requests are never cut by it.
   */
  idleConnectionMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxInteractiveWaitSeconds: 10,
  maxInteractiveRetries: 3,
  smallUploadBytes: 10 * 1024 * 1024,
  maxUploadWaitSeconds: 30,
  uploadTimeoutSeconds: 30 * 60,
  idleConnectionMs: 4_000,
};

export interface TelegramApis {
  /** Texts, deletes, getFile: paced within Telegram's limits, retried on a short 429. */
  interactive: Api;
  /** Status edits: sent only when a slot is near, else refused with RateLimitedError (never queued behind answers). */
  status: Api;
  /** Progress edits: sent only when a slot is free at once, else refused. */
  progress: Api;
  /**
   * Uploads: NO automatic retry. A retry would re-send the whole file (and a stream already read
   * cannot be read again), so the outbox decides itself, once, and only for small files.
   */
  upload: Api;
}

/**
 * The outbox's Bot API clients, each paced by `throttle` in its lane (see rate-limits.ts), which
 * also waits out 429s. Network errors and 5xx are not retried here: the caller (a job) retries.
 */
export function createApis(token: string, apiRoot: string, policy: RetryPolicy, throttle: (lane: SendLane) => Transformer): TelegramApis {
  // One pool for the four clients. Node's agent destroys a FREE socket once it has been idle for
  // `timeout`; on a socket in use the timeout only emits an event nobody acts on.
  const agentOptions = { keepAlive: true, timeout: policy.idleConnectionMs };
  const agent = apiRoot.startsWith("http:") ? new HttpAgent(agentOptions) : new HttpsAgent(agentOptions);
  const client = { apiRoot, baseFetchConfig: { agent, compress: true } };
  const interactive = new Api(token, client);
  interactive.config.use(throttle("answer"));
  const status = new Api(token, client);
  status.config.use(throttle("status"));
  const progress = new Api(token, client);
  progress.config.use(throttle("progress"));
  const upload = new Api(token, { ...client, timeoutSeconds: policy.uploadTimeoutSeconds });
  upload.config.use(throttle("upload"));
  return { interactive, status, progress, upload };
}

/** The `retry_after` of a 429, in seconds, or undefined for any other failure. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof GrammyError) || error.error_code !== 429) return undefined;
  return error.parameters.retry_after ?? 1;
}

/**
 * Whether a Bot API error's description says `fragment` (Telegram has no finer error codes). An
 * answer without a description (a proxy's HTTP 500 `{"message": …}`) says nothing.
 */
export function describes(error: unknown, fragment: string): boolean {
  try {
    if (!(error instanceof GrammyError)) return false;
    const description: unknown = error.description;
    return typeof description === "string" && description.toLowerCase().includes(fragment);
  } catch {
    return false;
  }
}
