import { BotError, GrammyError, HttpError } from "grammy";
import { scrubSecrets } from "../../src/log.js";

/**
 * A loggable summary of an error. Never the error object itself: a BotError carries the whole
 * update (a `/token` message holds a token) and a GrammyError the payload that was sent.
 */
export function describeError(error: unknown): { name: string; message: string; code?: number | string } {
  const inner = error instanceof BotError ? (error.error as unknown) : error;
  if (inner instanceof GrammyError) return { name: "GrammyError", message: scrubSecrets(inner.description), code: inner.error_code };
  if (inner instanceof HttpError) return { name: "HttpError", message: scrubSecrets(inner.message) };
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return { name: inner.name, message: scrubSecrets(inner.message), ...(typeof code === "string" || typeof code === "number" ? { code } : {}) };
  }
  return { name: "unknown", message: scrubSecrets(String(inner)) };
}
