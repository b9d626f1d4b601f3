import type { SentRef } from "../src/chat/outbox.js";
import type { RedisClient } from "../src/redis/client.js";
import { markerKey } from "./keys.js";

/**
 * Durable facts about one item, written to Redis before or right after the side effect they guard,
 * so that a retried or recovered job can tell what already happened:
 * - `sent`: the turn's message went to `/run_sse` (never send it again); holds the draft from before.
 * - `uploading`: one attachment is about to go to the session (holds the session and how many files of
 *   its name the state listed before: upload-intent.ts).
 * - `upload`: one attachment of an upload reached the session (holds the result).
 * - `posting` / `delivered`: a finished export is being / has been posted to the chat.
 * - `followup`: the export a turn asked for was queued.
 * - `uploaded`: an upload finished; holds the names of the files that did not arrive (JSON).
 * - `cancel`: the user cancelled this session's render.
 * - `status`: the item's status message (its ref, JSON), for whichever worker takes the item over.
 * - `outcome`: what a turn's stream came to (JSON, turn-outcome.ts), written by the stream hub for
 *   the turn's drainer job, which takes it (`take`) as it resumes.
 * - `stalled` (a count, `increment`): how many times BullMQ failed the item's drainer for stalling
 *   (repair.ts gives the item up after a few).
 * - `poster` (a lease, not a fact): the run downloading and posting the item's video right now.
 */
export type MarkerKind = "sent" | "upload" | "uploading" | "posting" | "delivered" | "followup" | "cancel" | "uploaded" | "status" | "outcome" | "stalled";

/** Short leases (`lease`): `poster` is held by the one run downloading and posting an item's video. */
export type LeaseKind = "poster";

// Renews or releases a lease only while this holder has it: an expired lease may be another's by now.
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** Long enough to outlive any retry or restart, short enough that Redis does not fill up. */
const KEEP_SECONDS = 14 * 24 * 3600;

export class Markers {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Sets the marker unless it is set; true when this call set it. */
  async setOnce(kind: MarkerKind, id: string, value = "1"): Promise<boolean> {
    return (await this.redis.set(markerKey(this.prefix, kind, id), value, "EX", KEEP_SECONDS, "NX")) === "OK";
  }

  async set(kind: MarkerKind, id: string, value = "1"): Promise<void> {
    await this.redis.set(markerKey(this.prefix, kind, id), value, "EX", KEEP_SECONDS);
  }

  /** Records the item's status message (`status`), as soon as it is known. */
  async recordStatus(id: string, ref: SentRef): Promise<void> {
    await this.set("status", id, JSON.stringify(ref));
  }

  /** The item's recorded status message, if one was recorded. */
  async statusOf(id: string): Promise<SentRef | undefined> {
    const recorded = await this.get("status", id);
    return recorded === null ? undefined : (JSON.parse(recorded) as SentRef);
  }

  /** Adds one to a count kept like a marker; returns the count now. */
  async increment(kind: MarkerKind, id: string): Promise<number> {
    const key = markerKey(this.prefix, kind, id);
    const replies = await this.redis.multi().incr(key).expire(key, KEEP_SECONDS).exec();
    return Number(replies?.[0]?.[1] ?? 0);
  }

  async get(kind: MarkerKind, id: string): Promise<string | null> {
    return this.redis.get(markerKey(this.prefix, kind, id));
  }

  /** Takes a lease for `ttlMs` unless another holder has it; true when this holder took it. */
  async lease(kind: LeaseKind, id: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(markerKey(this.prefix, kind, id), holder, "PX", ttlMs, "NX")) === "OK";
  }

  async renewLease(kind: LeaseKind, id: string, holder: string, ttlMs: number): Promise<void> {
    await this.redis.eval(RENEW, 1, markerKey(this.prefix, kind, id), holder, String(ttlMs));
  }

  async releaseLease(kind: LeaseKind, id: string, holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, markerKey(this.prefix, kind, id), holder);
  }

  /** Reads and removes the marker in one step (the one run that takes it acts on it). */
  async take(kind: MarkerKind, id: string): Promise<string | null> {
    return this.redis.getdel(markerKey(this.prefix, kind, id));
  }

  async clear(kind: MarkerKind, id: string): Promise<void> {
    await this.redis.del(markerKey(this.prefix, kind, id));
  }
}
