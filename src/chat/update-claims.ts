import type { RedisClient } from "../redis/client.js";
import { GCRA_RESERVE_FUNCTION } from "../ratelimit/gcra-lua.js";

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
 * on re-delivery: at least once, never lost. What is not handled is handed out again: Telegram
 * confirms an update only once it is in the Redis inbox, whose entry goes only once it was handled
 * (or, with the inbox off, only after it was handled; adapters/telegram/polling.ts and inbox.ts).
 */
// KEYS: 1 the update's claim, 2 its items hash. One command where two would cost two socket writes per update.
const STATE = `return {redis.call('EXISTS', KEYS[1]), redis.call('HLEN', KEYS[2])}`;

/**
 * A message's first read: the update's state, and with it what else the router needs before it
 * answers or queues anything, in one command (each command costs the bot CPU at ingest: three
 * separate ones cost about a fifth of its CPU per update in `npm run bench -- ingress`).
 * KEYS: 1 the update's claim, 2 its items hash, 3 a hash holding the user's language (field
 * `lang`), 4 the user's message-rate scope. ARGV: 1 '1' to read the language, 2 '1' to take a
 * message slot in KEYS[4] (no wait accepted), 3 its interval, 4 its tolerance (ms; see gcra-lua.ts).
 * Returns { handled 0/1, items queued, the language or nil, 1 granted / 0 refused / -1 not asked,
 * the wait in ms when refused }.
 */
const FIRST_READ = `
${GCRA_RESERVE_FUNCTION}
local language = false
if ARGV[1] == '1' then language = redis.call('HGET', KEYS[3], 'lang') end
local granted, wait = -1, 0
if ARGV[2] == '1' then
  local slot = gcraReserve({ KEYS[4] }, { '0', ARGV[3], ARGV[4] })
  granted, wait = slot[1], slot[2]
end
return { redis.call('EXISTS', KEYS[1]), redis.call('HLEN', KEYS[2]), language, granted, wait }
`;

/** What else a message's first read takes along (`UpdateClaims.read`). */
export interface FirstReadAlso {
  /** The hash whose `lang` field holds the user's language, when it is not known from memory. */
  languageKey?: string;
  /** The user's message-rate scope: a slot is taken in it (none when refused). */
  rate?: { key: string; intervalMs: number; toleranceMs: number };
}

export interface FirstRead {
  handled: boolean;
  queuedItems: number;
  /** The stored language (null: none stored); absent when not asked for. */
  language?: string | null;
  /** Absent when not asked for. */
  rate?: { granted: true } | { granted: false; waitMs: number };
}

type ClaimCommands = {
  updateClaimState(claimKey: string, itemsKey: string): Promise<[number, number]>;
  updateFirstRead(...keysAndArgs: string[]): Promise<[number, number, string | null, number, number]>;
};

export class UpdateClaims {
  private readonly redis: RedisClient & ClaimCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    redis.defineCommand("updateClaimState", { numberOfKeys: 2, lua: STATE });
    redis.defineCommand("updateFirstRead", { numberOfKeys: 4, lua: FIRST_READ });
    this.redis = redis as RedisClient & ClaimCommands;
  }

  /**
   * `state` and, in the same command, the user's language and a message slot (`also`). The keys
   * must share the prefix (one Redis Cluster slot); one not asked for is never touched.
   */
  async read(updateKey: string, also: FirstReadAlso): Promise<FirstRead> {
    const { languageKey, rate } = also;
    const unused = updateItemsKey(this.prefix, "none");
    const [handled, queuedItems, language, granted, waitMs] = await this.redis.updateFirstRead(
      updateClaimKey(this.prefix, updateKey),
      updateItemsKey(this.prefix, updateKey),
      languageKey ?? unused,
      rate?.key ?? unused,
      languageKey === undefined ? "" : "1",
      rate === undefined ? "" : "1",
      String(rate?.intervalMs ?? 0),
      String(rate?.toleranceMs ?? 0),
    );
    const read: FirstRead = { handled: Number(handled) === 1, queuedItems: Number(queuedItems) };
    if (languageKey !== undefined) read.language = language ?? null;
    if (rate !== undefined) read.rate = Number(granted) === 1 ? { granted: true } : { granted: false, waitMs: Number(waitMs) };
    return read;
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
