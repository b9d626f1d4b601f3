import type { RedisClient } from "../src/redis/client.js";

/**
 * Whose render progress is shown next when the chat platform cannot show every chat's figure.
 *
 * 2,000 renders polled every few seconds want far more progress edits than Telegram's 30 messages
 * a second allow, and progress is the first thing dropped. Dropped by chance (whichever poll finds
 * a free slot), some chats hear nothing for minutes while others see every figure. So the renders
 * wanting to show progress are kept in one sorted set per platform (shared by every worker
 * process), scored by when each one's chat last saw an update: only the `turns` that have waited
 * longest try an edit now; the others skip it (the next poll asks again) and leave the slots to
 * them. Videos, answers and last words do not ask: they are never held back by this.
 */
const TAKE_TURN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank and rank < tonumber(ARGV[3]) then return 1 end
return 0
`;

/** The same, answering how many entries waited longer than `item` (its 0-based place in line). */
const PLACE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZRANK', KEYS[1], ARGV[1])
`;

/**
 * An entry whose chat saw nothing for this long is dropped from the set: its job died without
 * leaving the line, and must not hold a turn at its front. A live render that old adds itself
 * again at its next poll, with the same score.
 */
const FORGET_AFTER_MS = 3600_000;

type TurnCommands = { progressTakeTurn(...args: (string | number)[]): Promise<number>; progressPlace(...args: (string | number)[]): Promise<number> };

export class ProgressTurns {
  private readonly redis: RedisClient & TurnCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    redis.defineCommand("progressTakeTurn", { numberOfKeys: 1, lua: TAKE_TURN });
    redis.defineCommand("progressPlace", { numberOfKeys: 1, lua: PLACE });
    this.redis = redis as RedisClient & TurnCommands;
  }

  private key(platform: string): string {
    return `${this.prefix}:progress-turns:${platform}`;
  }

  /**
   * Whether `item`, whose chat last saw an update at `lastUpdateAt`, is among the `turns` renders
   * of its platform that have waited longest: only those try a progress edit now.
   */
  async mayShow(platform: string, item: string, lastUpdateAt: number, turns: number): Promise<boolean> {
    if (!Number.isFinite(turns)) return true;
    const reply = await this.redis.progressTakeTurn(this.key(platform), item, String(lastUpdateAt), String(Math.max(1, turns)), String(Date.now() - FORGET_AFTER_MS), String(FORGET_AFTER_MS));
    return reply === 1;
  }

  /**
   * `item`'s place among its platform's chats waiting for a status update, longest-waiting first
   * (0: next), its chat having last seen one at `lastUpdateAt`. Progress figures and last words
   * share the line, so the next status slot goes to whoever has heard nothing for longest.
   */
  async rank(platform: string, item: string, lastUpdateAt: number): Promise<number> {
    return this.redis.progressPlace(this.key(platform), item, String(lastUpdateAt), String(Date.now() - FORGET_AFTER_MS), String(FORGET_AFTER_MS));
  }

  /** The render needs no more status updates (its last word shown, or given up). */
  async forget(platform: string, item: string): Promise<void> {
    await this.redis.zrem(this.key(platform), item);
  }
}

/**
 * How many renders of one platform may try a progress edit per poll: half of what the platform
 * lets the whole bot send in one poll interval, the other half left to answers, videos and last
 * words. Unlimited where the platform sets no rate (the terminal chat).
 */
export function progressTurnsPerPoll(messagesPerSecond: number, pollMs: number): number {
  if (!Number.isFinite(messagesPerSecond)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor((messagesPerSecond * pollMs) / 1000 / 2));
}
