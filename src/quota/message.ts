import type { Locale } from "../chat/message.js";
import { messages } from "../i18n/index.js";
import type { QuotaVerdict } from "./limits.js";

/** "You've used your 20 edits for this hour; more at 14:00 UTC (in 23 min)." */
export function quotaText(verdict: Extract<QuotaVerdict, { ok: false }>, locale: Locale, now = Date.now()): string {
  const t = messages(locale);
  const at = new Date(verdict.resetAt).toISOString().slice(11, 16);
  const minutes = Math.max(1, Math.ceil((verdict.resetAt - now) / 60_000));
  const words = { limit: verdict.limit, at, minutes };
  return verdict.kind === "turn" ? t.quotaTurns(words) : verdict.kind === "export" ? t.quotaExports(words) : t.quotaUploads(words);
}
