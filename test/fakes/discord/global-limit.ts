/**
 * Discord's global rate limit, as its "Rate Limits" page states it: a bot may make up to 50
 * requests per second to the API, across all routes; past it Discord answers 429 with
 * `X-RateLimit-Global: true`, `X-RateLimit-Scope: global`, `Retry-After` (seconds) and a body
 * `{ message, retry_after, global: true }`. Interaction endpoints (the interaction callback and
 * the interaction token's webhook, sent without the bot's Authorization header) are not bound by
 * it. Modelled as the sustained rate with a one-second burst, like the per-second reset Discord
 * describes.
 */
export class GlobalLimit {
  private due = 0;
  private readonly intervalMs: number;

  constructor(
    private readonly perSecond = 50,
    private readonly burst = 50,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** undefined when the request may go now (and counts it); else seconds until it would. */
  admit(now = Date.now()): number | undefined {
    const due = Math.max(this.due, now);
    const waitMs = due - (this.burst - 1) * this.intervalMs - now;
    if (waitMs > 0) return waitMs / 1000;
    this.due = due + this.intervalMs;
    return undefined;
  }
}
