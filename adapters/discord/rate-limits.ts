import type { RateLimitData } from "@discordjs/rest";
import type { Logger } from "../../src/log.js";
import type { Scope, SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";

/**
 * Discord's limits the bot keeps itself. @discordjs/rest already keeps each route's bucket (and each
 * interaction webhook's own) from the response headers, within one process; what it cannot see is
 * the global limit, 50 requests a second for the bot across ALL its processes. That one lives in
 * Redis here. Interaction endpoints (the interaction's webhook) are not bound by it, so they skip it.
 */
export interface DiscordRateLimits {
  /** Requests a second for the whole bot (DISCORD_REQUESTS_PER_SECOND; Discord: 50, more for large bots on request). */
  globalPerSecond: number;
  /** The longest a status edit waits for a slot; a longer queue refuses it (the status keeps its latest text for later). */
  statusMaxWaitMs: number;
  /** The same for a progress figure that the next update repeats (it holds a job's slot while it waits). */
  progressMaxWaitMs: number;
}

export const DEFAULT_DISCORD_LIMITS: DiscordRateLimits = { globalPerSecond: 50, statusMaxWaitMs: 1_000, progressMaxWaitMs: 100 };

/**
 * Answers and videos wait for their slot; status messages (edits, and new ones that yield) and typing
 * only take one that is near, progress one that is free, and neither waits on a spent route bucket.
 */
export type DiscordLane = "answer" | "status" | "progress";

export class DiscordPacing {
  private readonly global: Scope;

  constructor(
    private readonly limiter: SharedRateLimiter,
    private readonly limits: DiscordRateLimits,
    /** The application id: one bot's processes share its limit. */
    botId: string,
    /** QUEUE_PREFIX (hash-tagged for Redis Cluster). */
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.global = { key: `${prefix}:ratelimit:discord:${botId}`, rate: { intervalMs: 1000 / limits.globalPerSecond, burst: 1 } };
  }

  /** Before a request with the bot's token: its slot under the global limit (SendSlotBusyError for a status when busy). */
  async take(lane: DiscordLane): Promise<void> {
    const maxWaitMs = lane === "status" ? this.limits.statusMaxWaitMs : lane === "progress" ? this.limits.progressMaxWaitMs : undefined;
    await this.limiter.take([this.global], maxWaitMs === undefined ? {} : { maxWaitMs });
  }

  /**
   * For @discordjs/rest's `rejectOnRateLimit`, which it consults on every rate limit it meets: a
   * global 429 pauses the bot's other processes too. Never rejects (REST then waits it out itself).
   */
  readonly onRateLimit = (info: RateLimitData): boolean => {
    if (info.global && info.scope === "global" && info.retryAfter > 0) {
      this.logger.warn({ retryAfterMs: info.retryAfter }, "discord: global rate limit hit, pausing every process");
      void this.limiter.pause([this.global], info.retryAfter);
    }
    return false;
  };
}
