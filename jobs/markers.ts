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
 */
export type MarkerKind = "sent" | "upload" | "uploading" | "posting" | "delivered" | "followup" | "cancel" | "uploaded" | "status";

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

  async get(kind: MarkerKind, id: string): Promise<string | null> {
    return this.redis.get(markerKey(this.prefix, kind, id));
  }

  async clear(kind: MarkerKind, id: string): Promise<void> {
    await this.redis.del(markerKey(this.prefix, kind, id));
  }
}
