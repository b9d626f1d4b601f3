import type { Locale } from "../chat/message.js";
import type { QuotaKind, Quotas } from "./limits.js";
import { quotaText } from "./message.js";

export type Admission = { ok: true } | { ok: false; text: string };

/**
 * The one gate for work that costs a user's hourly allowance, wherever it starts: a command the
 * router queues (`/export`, an edit) or an export the backend's "click Export" starts in a worker.
 * Takes what the work costs, or nothing and the words that say when more is allowed.
 */
export async function admit(quotas: Quotas, userKey: string, costs: QuotaKind[], locale: Locale, now = Date.now()): Promise<Admission> {
  const verdict = await quotas.take(userKey, costs);
  return verdict.ok ? { ok: true } : { ok: false, text: quotaText(verdict, locale, now) };
}
