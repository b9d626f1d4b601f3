import type { RedisClient } from "../src/redis/client.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { mailboxKeys } from "./keys.js";
import { CANCEL_QUEUED, CLAIM, DONE, SUBMIT } from "./mailbox-lua.js";

/**
 * One session's items in arrival order, drained by one job at a time. Open-source BullMQ has no
 * per-group ordering, so each session gets a Redis list (the mailbox) and an owner: the generation
 * number of the one drainer job allowed to take from it. The scripts in mailbox-lua.ts keep the
 * hand-over atomic; the drainer's BullMQ job id is derived from (session, generation), so adding
 * it twice is harmless.
 */

export type Claim =
  | { kind: "item"; envelope: WorkEnvelope }
  | { kind: "released" }
  | { kind: "stale" };

export interface SubmitResult {
  ahead: number;
  generation: string;
  /** A new drainer job must be created for `generation`. */
  needsDrainer: boolean;
}

interface ScriptedRedis {
  mailboxSubmit(q: string, c: string, o: string, g: string, a: string, envelope: string, session: string, where: string): Promise<[number, string, number]>;
  mailboxClaim(q: string, c: string, o: string, g: string, a: string, generation: string, session: string): Promise<string[]>;
  mailboxDone(q: string, c: string, o: string, g: string, a: string, generation: string, envelopeId: string): Promise<number>;
  mailboxCancel(q: string, c: string, o: string, g: string, a: string): Promise<number>;
}

function scripted(redis: RedisClient): RedisClient & ScriptedRedis {
  const r = redis as RedisClient & Partial<ScriptedRedis>;
  if (!r.mailboxSubmit) {
    redis.defineCommand("mailboxSubmit", { numberOfKeys: 5, lua: SUBMIT });
    redis.defineCommand("mailboxClaim", { numberOfKeys: 5, lua: CLAIM });
    redis.defineCommand("mailboxDone", { numberOfKeys: 5, lua: DONE });
    redis.defineCommand("mailboxCancel", { numberOfKeys: 5, lua: CANCEL_QUEUED });
  }
  return redis as RedisClient & ScriptedRedis;
}

export class Mailbox {
  private readonly redis: RedisClient & ScriptedRedis;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.redis = scripted(redis);
  }

  private keys(sessionKey: string): [string, string, string, string, string] {
    const k = mailboxKeys(this.prefix, sessionKey);
    return [k.queue, k.current, k.owner, k.generation, k.active];
  }

  /** Appends an item (or puts it first, for a follow-up that must run next). */
  async submit(sessionKey: string, envelope: WorkEnvelope, where: "back" | "front" = "back"): Promise<SubmitResult> {
    const [ahead, generation, created] = await this.redis.mailboxSubmit(
      ...this.keys(sessionKey),
      JSON.stringify(envelope),
      sessionKey,
      where,
    );
    return { ahead: Number(ahead), generation: String(generation), needsDrainer: Number(created) === 1 };
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

  async owner(sessionKey: string): Promise<string | null> {
    return this.redis.get(mailboxKeys(this.prefix, sessionKey).owner);
  }

  /** Sessions that have (or should have) a drainer, for the repair sweep. */
  async activeSessions(): Promise<string[]> {
    return this.redis.smembers(mailboxKeys(this.prefix, "").active);
  }

  async pending(sessionKey: string): Promise<number> {
    const k = mailboxKeys(this.prefix, sessionKey);
    const [queued, current] = await Promise.all([this.redis.llen(k.queue), this.redis.exists(k.current)]);
    return queued + current;
  }
}
