import type { RedisClient } from "../../src/redis/client.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { drainerJobId, lineKeys, mailboxKeys, queueNames, sessionKeyOf } from "../keys.js";

/**
 * The one place that reads how the mailbox and the BullMQ queue hold a session's work (see
 * jobs/README.md, "Order: a mailbox per session"). Everything about places in line and their
 * estimates is computed from what this returns, so a change to the scheduling touches only here.
 */

export interface SessionLine {
  /** The item being worked on, and since when (ms since epoch; undefined when not recorded). */
  running: { envelope: WorkEnvelope; startedAt: number | undefined } | undefined;
  /** Items of this session not started yet, in the order they will run. */
  waiting: WorkEnvelope[];
  /**
   * Set when the session's next item waits for a worker slot (every slot busy, or its user's or
   * chat's fair share taken): how many other sessions' work is before it in the queue, and how
   * many slots are busy.
   */
  slot: { ahead: number; busy: number } | undefined;
}

function parse(json: string): WorkEnvelope | undefined {
  try {
    return JSON.parse(json) as WorkEnvelope;
  } catch {
    return undefined;
  }
}

// The session's side of the line. KEYS: 1 the mailbox's queue, 2 its current item, 3 its owner, 4 the running mark.
const READ_SESSION = `
return {redis.call('LRANGE', KEYS[1], 0, -1), redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4])}
`;

// Where a drainer job stands. KEYS: 1 wait list, 2 active list, 3 delayed set; ARGV: 1 the job's id.
const READ_SLOT = `
return {redis.call('LPOS', KEYS[1], ARGV[1]), redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), redis.call('ZSCORE', KEYS[3], ARGV[1])}
`;

interface LineCommands {
  lineReadSession(...args: string[]): Promise<[string[], string | null, string | null, string | null]>;
  lineReadSlot(...args: string[]): Promise<[number | null, number, number, string | null]>;
  lineNeedsStatus(...args: string[]): Promise<number>;
  lineStillWaiting(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number[]>;
}

/**
 * Each read is one script (EVALSHA): one command for what would be several, since every command
 * written to the socket is a system call that costs the bot more CPU than the read itself (this
 * runs for every item a busy bot queues). A script also reads a consistent snapshot.
 */
const withLineCommands = (() => {
  const defined = new WeakSet<RedisClient>();
  return (redis: RedisClient): RedisClient & LineCommands => {
    if (!defined.has(redis)) {
      redis.defineCommand("lineReadSession", { numberOfKeys: 4, lua: READ_SESSION });
      redis.defineCommand("lineReadSlot", { numberOfKeys: 3, lua: READ_SLOT });
      redis.defineCommand("lineNeedsStatus", { numberOfKeys: 2, lua: NEEDS_STATUS });
      redis.defineCommand("lineStillWaiting", { lua: STILL_WAITING });
      defined.add(redis);
    }
    return redis as RedisClient & LineCommands;
  };
})();

export async function readSessionLine(client: RedisClient, prefix: string, sessionKey: string): Promise<SessionLine> {
  const redis = withLineCommands(client);
  const mailbox = mailboxKeys(prefix, sessionKey);
  const line = lineKeys(prefix, sessionKey);
  const queueKey = (name: string) => `${prefix}:${queueNames.session}:${name}`;
  const [queued, current, owner, running] = await redis.lineReadSession(mailbox.queue, mailbox.current, mailbox.owner, line.running);
  const waiting = queued.map(parse).filter((e): e is WorkEnvelope => e !== undefined);
  const currentEnvelope = current === null ? undefined : parse(current);
  let startedAt: number | undefined;
  if (currentEnvelope && running) {
    const [id, at] = running.split(" ");
    if (id === currentEnvelope.id && at !== undefined) startedAt = Number(at);
  }

  // The drainer job waits in BullMQ's wait list until a worker has a free slot. BullMQ pushes new
  // jobs on the left and workers take from the right, so what is to its right starts before it.
  let slot: SessionLine["slot"];
  if (owner !== null) {
    const drainer = drainerJobId(sessionKey, owner);
    const [index, length, busy, delayed] = await redis.lineReadSlot(queueKey("wait"), queueKey("active"), queueKey("delayed"), drainer);
    if (index !== null) {
      slot = { ahead: Math.max(0, length - 1 - index), busy };
    } else if (startedAt === undefined && delayed !== null) {
      // Parked with no item running: turned away for its user's or chat's fair share (lanes.ts),
      // it tries again shortly; nothing of this session's is before it, other work of the user is.
      slot = { ahead: 0, busy };
    }
  }
  return { running: currentEnvelope ? { envelope: currentEnvelope, startedAt } : undefined, waiting, slot };
}

// 1 when the item waits in its mailbox and has no status yet. KEYS: 1 statuses hash, 2 the mailbox's queue; ARGV: 1 item id, 2 its JSON.
const NEEDS_STATUS = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('LPOS', KEYS[2], ARGV[2]) then return 1 end
return 0
`;

/**
 * Whether `envelope` still waits in its mailbox (not started, not cancelled) with no entry in
 * `statusesKey` yet: one command. The mailbox holds each envelope as the JSON the producer wrote;
 * parsing and writing it again gives the same string.
 */
export async function needsStatus(client: RedisClient, statusesKey: string, queueKey: string, envelope: WorkEnvelope): Promise<boolean> {
  const redis = withLineCommands(client);
  return Number(await redis.lineNeedsStatus(statusesKey, queueKey, envelope.id, JSON.stringify(envelope))) === 1;
}

// For each item, 1 when it still waits in its mailbox (not started, not cancelled). KEYS: each item's
// mailbox queue; ARGV: each item's JSON as queued (the same string: see needsStatus).
const STILL_WAITING = `
local out = {}
for i = 1, #KEYS do
  if redis.call('LPOS', KEYS[i], ARGV[i]) then out[i] = 1 else out[i] = 0 end
end
return out
`;

/**
 * Which of `envelopes` still wait in their sessions' mailboxes: one command for the lot, however
 * many sessions they belong to (their keys share the prefix, so one Redis Cluster slot).
 */
export async function stillWaiting(client: RedisClient, prefix: string, envelopes: readonly WorkEnvelope[]): Promise<boolean[]> {
  if (envelopes.length === 0) return [];
  const redis = withLineCommands(client);
  const keys = envelopes.map((e) => mailboxKeys(prefix, sessionKeyOf(e.session)).queue);
  const answers = await redis.lineStillWaiting(keys.length, ...keys, ...envelopes.map((e) => JSON.stringify(e)));
  return envelopes.map((_, i) => Number(answers[i]) === 1);
}

/** How many items wait in the session's mailbox (not counting the running one). */
export async function waitingCount(redis: RedisClient, prefix: string, sessionKey: string): Promise<number> {
  return redis.llen(mailboxKeys(prefix, sessionKey).queue);
}

// Removes the waiting item whose id is ARGV[1]; 1 when it was there. KEYS: 1 the mailbox's queue.
const REMOVE_WAITING = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for _, item in ipairs(items) do
  local ok, decoded = pcall(cjson.decode, item)
  if ok and decoded['id'] == ARGV[1] then
    redis.call('LREM', KEYS[1], 1, item)
    return 1
  end
end
return 0
`;

/** `/cancel 2`: takes one waiting item out of its mailbox; false when it is no longer waiting. */
export async function removeWaiting(redis: RedisClient, prefix: string, sessionKey: string, envelopeId: string): Promise<boolean> {
  return Number(await redis.eval(REMOVE_WAITING, 1, mailboxKeys(prefix, sessionKey).queue, envelopeId)) === 1;
}

/** The drainer queue as far as the line needs it (BullMQ's `Queue<DrainerData>`). */
export interface WaitingDrainers {
  getWaiting(start: number, end: number): Promise<{ data: { sessionKey: string } }[]>;
}

/** Sessions whose work waits for a worker slot (the oldest `limit` of them), read through BullMQ. */
export async function sessionsWaitingForSlot(queue: WaitingDrainers, limit: number): Promise<string[]> {
  const jobs = await queue.getWaiting(0, limit - 1);
  return jobs.map((job) => job.data.sessionKey).filter((key): key is string => typeof key === "string");
}
