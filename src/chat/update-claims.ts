import type { RedisClient } from "../redis/client.js";

/**
 * How long a handled update is remembered. Telegram keeps an unconfirmed update for 24 hours (and
 * re-delivers it to the next `getUpdates` or retries the webhook meanwhile); Discord replays
 * missed gateway events after a resume within minutes. An hour past the longest of these.
 */
export const UPDATE_CLAIM_TTL_SECONDS = 25 * 3600;

/** The Redis key saying one platform update was handled, under the install's prefix (one Cluster slot with the mailboxes). */
export function updateClaimKey(prefix: string, updateKey: string): string {
  return `${prefix}:update:${updateKey}`;
}

/**
 * The hash of one update's queued items (field `item:<n>` → the work item's id). The mailbox's
 * submit script writes a field in the same step as it queues the item, so an item is queued once
 * however often its update is handled (jobs/mailbox-lua.ts).
 */
export function updateItemsKey(prefix: string, updateKey: string): string {
  return `${prefix}:update-items:${updateKey}`;
}

/** The field of an update's `n`th work item (a caption's edit after its upload is item 1). */
export function updateItemField(index: number): string {
  return `item:${index}`;
}

/**
 * Each platform update is handled once, in two steps that each hold across a crash:
 * - its work items are queued in the same atomic step that records them (see `updateItemsKey`),
 *   so a re-delivered update never queues an item twice, and an update whose process died before
 *   queueing is queued by the re-delivery;
 * - once everything it asked for is queued or answered, the update is marked handled (`markHandled`;
 *   an update that queues work has its mark written by the script that queues its last item), and a
 *   later re-delivery is dropped before anything is read or sent.
 * A quick answer (credits, help) sent by a process that died before marking it can be sent again
 * on re-delivery: at least once, never lost. The platforms re-deliver what was not confirmed:
 * Telegram's offset is confirmed only after the update was handled (adapters/telegram/polling.ts).
 */
// KEYS: 1 the update's claim, 2 its items hash. One command where two would cost two socket writes per update.
const STATE = `return {redis.call('EXISTS', KEYS[1]), redis.call('HLEN', KEYS[2])}`;

export class UpdateClaims {
  private readonly redis: RedisClient & { updateClaimState(claimKey: string, itemsKey: string): Promise<[number, number]> };

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    redis.defineCommand("updateClaimState", { numberOfKeys: 2, lua: STATE });
    this.redis = redis as RedisClient & { updateClaimState(claimKey: string, itemsKey: string): Promise<[number, number]> };
  }

  /**
   * `handled`: the update was handled already (a re-delivery to drop). `queuedItems`: how many of
   * its work items were queued by an earlier handling that did not finish (0 for a new update).
   */
  async state(updateKey: string): Promise<{ handled: boolean; queuedItems: number }> {
    const [handled, queuedItems] = await this.redis.updateClaimState(updateClaimKey(this.prefix, updateKey), updateItemsKey(this.prefix, updateKey));
    return { handled: handled === 1, queuedItems };
  }

  async markHandled(updateKey: string): Promise<void> {
    await this.redis.set(updateClaimKey(this.prefix, updateKey), "1", "EX", UPDATE_CLAIM_TTL_SECONDS);
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
