import { isNemoError } from "../errors.js";
import { messages } from "../i18n/index.js";
import type { Locale } from "./message.js";

/**
 * The one place a failure becomes words for the user: the contract's error table, in the user's
 * language. It never shows a token, raw JSON or a stack, whatever the error carries: only the
 * error's `code` is read, never its message.
 */

export const DEFAULT_REGISTER_URL = "https://nemovideo.ai/register";

export interface ErrorTextContext {
  /** Whose token the failed call used: decides "register" (anonymous) or "top up" (registered). */
  tokenKind: "user" | "operator" | "anonymous";
  /** The registration link's `?bind=` id, when known (the error's own bindId wins). */
  bindId?: string;
  maxFileBytes: number;
  acceptedFormats: string[];
  /** `config.NEMO_REGISTER_URL`; the default when left out. */
  registerUrl?: string;
}

export function errorText(error: unknown, locale: Locale, ctx: ErrorTextContext): string {
  const t = messages(locale);
  if (!isNemoError(error)) return t.unknownError;
  switch (error.code) {
    case "no_credits":
      if (ctx.tokenKind === "anonymous") {
        return t.errNoCreditsAnonymous({ url: registrationLink(ctx.registerUrl, error.bindId ?? ctx.bindId) });
      }
      return ctx.tokenKind === "operator" ? t.errNoCreditsOperator : t.errNoCreditsRegistered;
    case "plan_blocked":
      return t.errPlanBlocked;
    case "unsupported_file":
      return t.errUnsupportedFile({ formats: formatList(ctx.acceptedFormats) });
    case "file_too_large":
      return t.errFileTooLarge({ limit: formatBytes(ctx.maxFileBytes) });
    case "rate_limited":
      return t.errRateLimited;
    case "server":
    case "network":
    case "timeout":
    case "bad_response":
      return t.errServiceDown;
    case "turn_timeout":
      return t.errTurnTimeout;
    case "anonymous_limit":
      return t.errAnonymousLimit;
    case "token_invalid":
      // An anonymous token is renewed before this is seen; if it still fails, the service is at fault.
      if (ctx.tokenKind === "user") return t.errTokenUser;
      return ctx.tokenKind === "operator" ? t.errTokenOperator : t.errServiceDown;
    case "session_not_found":
      return t.errSessionLost;
    case "render_failed":
      return t.errRenderFailed;
    case "turn_failed":
      return t.errTurnFailed;
    case "bad_request":
      return t.errBadRequest;
    case "missing_client_id":
    case "unknown":
      return t.unknownError;
  }
}

/** `https://nemovideo.ai/register?bind=<id>`; the plain page when no id is known. */
export function registrationLink(base: string | undefined, bindId: string | undefined): string {
  const url = new URL(base ?? DEFAULT_REGISTER_URL);
  if (bindId) url.searchParams.set("bind", bindId);
  return url.toString();
}

/** "mp4, mov, avi" */
export function formatList(formats: string[]): string {
  return formats.map((f) => f.replace(/^\./, "").toLowerCase()).join(", ");
}

/** "500 MB", "1.5 GB": decimal units when the number is a round decimal size, else binary ones. */
export function formatBytes(bytes: number): string {
  const unit = bytes % 1_000_000 === 0 && bytes % (1024 * 1024) !== 0 ? 1000 : 1024;
  const mb = bytes / (unit * unit);
  if (mb >= unit) return `${trim(mb / unit)} GB`;
  if (mb >= 1) return `${trim(mb)} MB`;
  return `${trim(bytes / unit)} KB`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
