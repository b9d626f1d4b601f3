import type { JobsOptions, Queue } from "bullmq";
import type { RedisClient } from "../src/redis/client.js";
import { UPDATE_CLAIM_TTL_SECONDS, updateClaimKey, updateItemsKey } from "../src/chat/update-claims.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { ADD_STANDARD_JOB_KEYS } from "./bullmq-add-lua.js";
import { drainerJobId, mailboxKeys } from "./keys.js";
import { CANCEL_QUEUED, CLAIM, DONE, DRAINERS_TO_CHECK, SUBMIT } from "./mailbox-lua.js";

const DAY_SECONDS = 24 * 3600;

export const DRAINER_JOB_OPTIONS: JobsOptions = {
  // A drainer only fails when Redis does; a few retries ride out a blip, the repair sweep the rest.
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * DAY_SECONDS },
};

/**
 * One session's items in arrival order, drained by one job at a time. Open-source BullMQ has no
 * per-group ordering, so each session gets a Redis list (the mailbox) and an owner: the generation
 * number of the one drainer job allowed to take from it. The scripts in mailbox-lua.ts keep the
 * hand-over atomic, and `submit` creates a new owner's BullMQ job in the same script; the drainer's
 * job id is derived from (session, generation), so adding it again (the repair sweep) is harmless.
 */

export type Claim =
  | { kind: "item"; envelope: WorkEnvelope }
  | { kind: "released" }
  | { kind: "stale" };

export interface SubmitResult {
  ahead: number;
  generation: string;
  /** A new drainer generation took the mailbox (its job was created in the same step). */
  newDrainer: boolean;
  /** The mailbox already held its most items: nothing was added (`ahead` is how many wait). */
  full: boolean;
  /** Its platform update had queued this item already, with this id: nothing was added. */
  queuedAs?: string;
}

/** Where a submitted item is recorded as its platform update's `field`th item (see src/chat/update-claims.ts). */
export interface ItemRecord {
  /** The update's hash (`updateItemsKey`). */
  key: string;
  field: string;
  /** The update's handled mark (`updateClaimKey`), set when this is its last item: written in the same step. */
  handledKey?: string;
}

interface ScriptedRedis {
  mailboxSubmit(...keysAndArgs: string[]): Promise<[number, string, number, number, string]>;
  mailboxClaim(q: string, c: string, o: string, g: string, a: string, generation: string, session: string): Promise<string[]>;
  mailboxDone(q: string, c: string, o: string, g: string, a: string, generation: string, envelopeId: string): Promise<number>;
  mailboxCancel(q: string, c: string, o: string, g: string, a: string): Promise<number>;
  mailboxDrainersToCheck(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number[]>;
}

function scripted(redis: RedisClient): RedisClient & ScriptedRedis {
  const r = redis as RedisClient & Partial<ScriptedRedis>;
  if (!r.mailboxSubmit) {
    redis.defineCommand("mailboxSubmit", { numberOfKeys: 7 + ADD_STANDARD_JOB_KEYS.length, lua: SUBMIT });
    redis.defineCommand("mailboxClaim", { numberOfKeys: 5, lua: CLAIM });
    redis.defineCommand("mailboxDone", { numberOfKeys: 5, lua: DONE });
    redis.defineCommand("mailboxCancel", { numberOfKeys: 5, lua: CANCEL_QUEUED });
    // As many keys as the batch has mailboxes: the count comes first in each call.
    redis.defineCommand("mailboxDrainersToCheck", { lua: DRAINERS_TO_CHECK });
  }
  return redis as RedisClient & ScriptedRedis;
}

export class Mailbox {
  private readonly redis: RedisClient & ScriptedRedis;

  private readonly drainerKeys: string[];
  private readonly drainerKeyPrefix: string;
  /** The session queue's failed and completed sets, where the repair sweep looks for a mailbox's drainer. */
  private readonly drainerEndSets: [string, string];
  private readonly drainerOptions = JSON.stringify(DRAINER_JOB_OPTIONS);

  /**
   * `drainers`: the session queue, where each mailbox's drainer job goes. `maxItems`: how many items
   * may wait in one mailbox (0: no cap).
   */
  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    drainers: Pick<Queue, "keys" | "toKey">,
    private readonly maxItems = 0,
  ) {
    this.redis = scripted(redis);
    this.drainerKeys = ADD_STANDARD_JOB_KEYS.map((name) => drainers.keys[name] ?? drainers.toKey(name));
    this.drainerKeyPrefix = drainers.toKey("");
    this.drainerEndSets = [drainers.keys["failed"] ?? drainers.toKey("failed"), drainers.keys["completed"] ?? drainers.toKey("completed")];
  }

  private keys(sessionKey: string): [string, string, string, string, string] {
    const k = mailboxKeys(this.prefix, sessionKey);
    return [k.queue, k.current, k.owner, k.generation, k.active];
  }

  /**
   * Appends an item (or puts it first, for a follow-up that must run next) and, when no drainer owns
   * the mailbox, creates one: one script, one round trip, all or nothing. With `record`, the item is
   * written into its platform update's hash in the same step, and not queued when it is there already;
   * with `record.handledKey`, the update is marked handled in that step too.
   */
  async submit(sessionKey: string, envelope: WorkEnvelope, where: "back" | "front" = "back", record?: ItemRecord): Promise<SubmitResult> {
    const [ahead, generation, created, full, queuedAs] = await this.redis.mailboxSubmit(
      ...this.keys(sessionKey),
      ...this.drainerKeys,
      // Never written without a record (a mark); under the prefix, so they share the Cluster slot.
      record?.key ?? updateItemsKey(this.prefix, "none"),
      record?.handledKey ?? updateClaimKey(this.prefix, "none"),
      JSON.stringify(envelope),
      sessionKey,
      where,
      this.drainerKeyPrefix,
      drainerJobId(sessionKey, ""),
      String(Date.now()),
      this.drainerOptions,
      String(this.maxItems),
      record?.field ?? "",
      envelope.id,
      String(UPDATE_CLAIM_TTL_SECONDS),
      record?.handledKey ? "1" : "",
    );
    const result: SubmitResult = { ahead: Number(ahead), generation: String(generation), newDrainer: Number(created) === 1, full: Number(full) === 1 };
    return queuedAs ? { ...result, queuedAs: String(queuedAs) } : result;
  }

  async claim(sessionKey: string, generation: string): Promise<Claim> {
    const [kind, json] = await this.redis.mailboxClaim(...this.keys(sessionKey), generation, sessionKey);
    if (kind === "item" && json !== undefined) return { kind: "item", envelope: JSON.parse(json) as WorkEnvelope };
    return kind === "released" ? { kind: "released" } : { kind: "stale" };
  }

  async done(sessionKey: string, generation: string, envelopeId: string): Promise<boolean> {
    return (await this.redis.mailboxDone(...this.keys(sessionKey), generation, envelopeId)) === 1;
  }

  /** Drops the waiting items; returns how many there were. */
  async cancelQueued(sessionKey: string): Promise<number> {
    return Number(await this.redis.mailboxCancel(...this.keys(sessionKey)));
  }

  /** The item being worked on (it leaves the mailbox only when done), or null. */
  async current(sessionKey: string): Promise<WorkEnvelope | null> {
    const json = await this.redis.get(mailboxKeys(this.prefix, sessionKey).current);
    return json === null ? null : (JSON.parse(json) as WorkEnvelope);
  }

  async owner(sessionKey: string): Promise<string | null> {
    return this.redis.get(mailboxKeys(this.prefix, sessionKey).owner);
  }

  /**
   * Sessions that have (or should have) a drainer, for the repair sweep: about `batch` at a time, as
   * SSCAN hands them out (a session may come twice), so a sweep over many sessions holds few at once.
   */
  async *activeSessions(batch = 500): AsyncGenerator<string[]> {
    const active = mailboxKeys(this.prefix, "").active;
    let cursor = "0";
    do {
      const [next, sessions] = await this.redis.sscan(active, cursor, "COUNT", batch);
      cursor = next;
      if (sessions.length > 0) yield sessions;
    } while (cursor !== "0");
  }

  /**
   * Of `sessionKeys`, those whose mailbox has an owner whose drainer job is missing, failed or
   * completed, in one round trip: the repair sweep reads only these one by one.
   */
  async drainersToCheck(sessionKeys: readonly string[]): Promise<string[]> {
    if (sessionKeys.length === 0) return [];
    const positions = await this.redis.mailboxDrainersToCheck(
      2 + sessionKeys.length,
      ...this.drainerEndSets,
      ...sessionKeys.map((sessionKey) => mailboxKeys(this.prefix, sessionKey).owner),
      this.drainerKeyPrefix,
      ...sessionKeys.map((sessionKey) => drainerJobId(sessionKey, "")),
    );
    return positions.flatMap((position) => sessionKeys[position - 1] ?? []);
  }

  async pending(sessionKey: string): Promise<number> {
    const k = mailboxKeys(this.prefix, sessionKey);
    const [queued, current] = await Promise.all([this.redis.llen(k.queue), this.redis.exists(k.current)]);
    return queued + current;
  }
}
