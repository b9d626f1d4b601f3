import { createHash } from "node:crypto";

/**
 * Discord's per-route rate limits, as its "Rate Limits" page states them: a limit per route (method
 * included) and per top-level resource in the path (a channel, a guild, a webhook id, or a webhook
 * id with its token, as an interaction's webhook is), told to the client on every response in
 * `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Reset-After` (seconds) and
 * `-Bucket` (the route's shared-limit id, without the resource). Past it Discord answers 429 with
 * `Retry-After` and `{ message, retry_after, global: false }`, scope `user`. Discord does not
 * publish the numbers ("should not be hard coded"): the fake keeps one limit per window for every
 * route (5 in 5 s unless a test says otherwise, see server.ts). Interaction callbacks are left out.
 */
export interface RouteLimitOptions {
  /** Requests per window in one bucket (one route of one resource). */
  limit: number;
  /** The window, from the bucket's first request after a reset. */
  resetAfterMs: number;
}

export interface RouteVerdict {
  /** Headers every answer of this route carries. */
  headers: Record<string, string>;
  /** Seconds to wait when the request is over the limit; undefined when it went through (and counted). */
  retryAfter: number | undefined;
}

interface Window {
  resetAt: number;
  used: number;
}

export class RouteLimits {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly options: RouteLimitOptions) {}

  /** undefined for a route Discord does not limit this way (an interaction callback). */
  admit(method: string, path: string, now = Date.now()): RouteVerdict | undefined {
    const route = routeOf(path);
    if (route.template.endsWith("/callback") && route.template.startsWith("/interactions/")) return undefined;
    const bucket = createHash("sha1").update(`${method} ${route.template}`).digest("hex").slice(0, 16);
    const key = `${bucket}:${route.resource}`;
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { resetAt: now + this.options.resetAfterMs, used: 0 };
      this.windows.set(key, window);
    }
    const over = window.used >= this.options.limit;
    if (!over) window.used += 1;
    const resetAfter = (window.resetAt - now) / 1000;
    const headers = {
      "x-ratelimit-limit": String(this.options.limit),
      "x-ratelimit-remaining": String(Math.max(0, this.options.limit - window.used)),
      "x-ratelimit-reset": (window.resetAt / 1000).toFixed(3),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
      "x-ratelimit-bucket": bucket,
    };
    return { headers, retryAfter: over ? resetAfter : undefined };
  }
}

/** The route with ids replaced (what a bucket is per), and its top-level resource. */
function routeOf(path: string): { template: string; resource: string } {
  const route = path.replace(/^\/api\/v\d+/, "");
  const hook = route.match(/^\/webhooks\/(\d+)\/([^/]+)/);
  const top = route.match(/^\/(channels|guilds|webhooks)\/(\d+)/);
  const resource = hook ? `webhook:${hook[1]}/${hook[2]}` : top ? `${top[1]}:${top[2]}` : "none";
  const template = route
    .replace(/^\/webhooks\/(\d+)\/[^/]+/, "/webhooks/:id/:token")
    .replace(/^\/interactions\/(\d+)\/[^/]+/, "/interactions/:id/:token")
    .replace(/\/\d{5,}/g, "/:id");
  return { template, resource };
}
