import type { RedisClient } from "../redis/client.js";

/**
 * How long a handled update is remembered. Telegram keeps an unconfirmed update for 24 hours (and
 * re-delivers it to the next `getUpdates` or retries the webhook meanwhile); Discord replays
 * missed gateway events after a resume within minutes. An hour past the longest of these.
 */
export const UPDATE_CLAIM_TTL_SECONDS = 25 * 3600;

/** The Redis key of one platform update's claim, under the install's prefix (one Cluster slot with the mailboxes). */
export function updateClaimKey(prefix: string, updateKey: string): string {
  return `${prefix}:update:${updateKey}`;
}

/**
 * Each platform update is handled once: the first process to claim its key (`SET NX`) handles it;
 * a re-delivery (an offset Telegram never saw confirmed, a webhook retried, a gateway event replayed
 * after a resume) finds the claim and is dropped.
 */
export class UpdateClaims {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** True for the first claim of `updateKey`; false for a duplicate. */
  async claim(updateKey: string): Promise<boolean> {
    const set = await this.redis.set(updateClaimKey(this.prefix, updateKey), "1", "EX", UPDATE_CLAIM_TTL_SECONDS, "NX");
    return set === "OK";
  }
}

/** Telegram: the bot's id (the token's first part) and the update's id; an album by its media group. */
export function telegramUpdateKey(botId: number | string, updateId: number): string {
  return `telegram:${botId}:${updateId}`;
}

export function telegramAlbumKey(botId: number | string, mediaGroupId: string): string {
  return `telegram:${botId}:album:${mediaGroupId}`;
}

/** Discord: interaction and message ids are snowflakes, unique across the platform. */
export function discordUpdateKey(kind: "interaction" | "message", id: string): string {
  return `discord:${kind}:${id}`;
}
