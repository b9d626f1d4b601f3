import type { Transformer } from "grammy";
import { RateLimitedError, SendSlotBusyError, SendSlotReservedError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import type { Reservation, Scope, SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";

/**
 * Telegram's limits as its Bots FAQ states them: about 30 messages a second for the whole bot,
 * no more than one a second in one chat, at most 20 a minute in one group. Short bursts may be
 * let through, "but eventually you'll begin receiving 429 errors": the bot keeps to the rates
 * themselves and leaves the bursts to absorb network jitter.
 */
export interface TelegramRateLimits {
  /** Messages a second for the whole bot, across all its processes (TELEGRAM_MESSAGES_PER_SECOND). */
  botPerSecond: number;
  privateChatPerSecond: number;
  groupPerMinute: number;
  /** The longest a status edit waits for a slot; a longer queue refuses it (the status keeps its latest text for later). */
  statusMaxWaitMs: number;
  /** The same for a progress figure that the next update repeats (it holds a job's slot while it waits). */
  progressMaxWaitMs: number;
  /**
   * The longest a video waits for its slot inside a send. Past it, the slot is reserved all the
   * same (the video keeps its place in line, in the order renders finished) and the send is refused
   * (SendSlotReservedError): the delivery parks as a delayed step until the slot is due, then claims
   * it, rather than hold a worker slot asleep or ask again and again.
   */
  uploadMaxWaitMs: number;
  /**
   * Tests only: every period (and every `retry_after`) times this factor, for a fake Telegram whose
   * limits are scaled the same way. Production: 1.
   */
  timeScale: number;
}

export const DEFAULT_TELEGRAM_LIMITS: TelegramRateLimits = {
  botPerSecond: 30,
  privateChatPerSecond: 1,
  groupPerMinute: 20,
  statusMaxWaitMs: 1_000,
  progressMaxWaitMs: 100,
  uploadMaxWaitMs: 5_000,
  timeScale: 1,
};

/** How a send competes when the bot is busy. */
export type SendLane =
  /** Answers to commands, results, errors: wait for their slot however long, retry a short 429. */
  | "answer"
  /** Status edits: only when a slot is near; refused (RateLimitedError) rather than queued. */
  | "status"
  /** Progress edits: only when a slot is free at once (a tenth of a second), else refused. */
  | "progress"
  /** Videos: wait a few seconds for their slot, else reserve it and refuse (the job parks until it); never re-sent automatically (the outbox decides). */
  | "upload";

export interface ThrottleOptions {
  limiter: SharedRateLimiter;
  limits: TelegramRateLimits;
  /** The bot's numeric id (the token's public part): one bot's processes share its limits. */
  botId: string;
  /** QUEUE_PREFIX: keeps the keys in the bot's namespace (and its Redis Cluster slot when hash-tagged). */
  prefix: string;
  /** A 429 is retried (answers only) when its retry_after is at most this long, at most this often. */
  maxRetryWaitSeconds: number;
  maxRetries: number;
  logger: Logger;
}

/**
 * A parked video wakes this long before its reserved slot: BullMQ's delayed step and the delivery's
 * own checks take some of it, and the rest is slept holding the job's slot.
 */
const WAKE_EARLY_MS = 250;
/**
 * A reservation claimed this late is given up and a new slot taken: its moment passed while others
 * sent on time, and sending it now would bunch messages past Telegram's short burst.
 */
const RESERVATION_LATE_MS = 2_000;

/** 429s for this many different sends within a second mean the whole bot is over its limit, not one chat. */
const BOT_WIDE_FLOOD_429S = 3;

/** Methods that put or change a message in a chat: what Telegram's message limits count. */
export function countsAsMessage(method: string): boolean {
  return (method.startsWith("send") && method !== "sendChatAction") || method.startsWith("edit") || method.startsWith("copyMessage") || method.startsWith("forwardMessage");
}

/**
 * The scopes a message counts against. A positive chat id is a private chat; groups, supergroups
 * and channels have negative ids (or an @username) and share the group rate.
 */
export function telegramScopes(options: Pick<ThrottleOptions, "limits" | "botId" | "prefix">, chatId: unknown): { bot: Scope; chat: Scope | undefined } {
  const { limits, botId, prefix } = options;
  const base = `${prefix}:ratelimit:telegram:${botId}`;
  const bot: Scope = { key: base, rate: { intervalMs: (1000 / limits.botPerSecond) * limits.timeScale, burst: 1 } };
  if (chatId === undefined || chatId === null || chatId === "") return { bot, chat: undefined };
  const isPrivate = typeof chatId === "number" ? chatId > 0 : /^\d+$/.test(String(chatId));
  const intervalMs = isPrivate ? 1000 / limits.privateChatPerSecond : 60_000 / limits.groupPerMinute;
  return { bot, chat: { key: `${base}:chat:${String(chatId)}`, rate: { intervalMs: intervalMs * limits.timeScale, burst: 1 } } };
}

/**
 * A grammY API transformer that keeps a Bot API client within Telegram's limits: each message takes
 * its slot in the bot's and the chat's schedule (in Redis, shared by every process of the bot)
 * before it is sent. A 429 pauses the chat for its `retry_after` (and the whole bot when several
 * chats get one at once), for every process.
 */
export function throttle(options: ThrottleOptions, lane: SendLane): Transformer {
  const { limiter, limits, logger } = options;
  const laneMaxWaitMs = { status: limits.statusMaxWaitMs, progress: limits.progressMaxWaitMs, upload: limits.uploadMaxWaitMs, answer: undefined }[lane];
  const maxWaitMs = laneMaxWaitMs === undefined ? undefined : laneMaxWaitMs * limits.timeScale;
  /** Videos' slots taken in advance in this process, by chat scope: the parked delivery claims its own when it comes back. */
  const reservations = new Map<string, Reservation>();
  const slotFor = async (scopes: Scope[], key: string, signal: AbortSignal | undefined) => {
    const waits = { ...(maxWaitMs !== undefined ? { maxWaitMs } : {}), ...(signal ? { signal } : {}) };
    const held = reservations.get(key);
    const now = Date.now();
    if (held && held.at >= now - RESERVATION_LATE_MS * limits.timeScale) {
      // Woke too early (a retry of another kind, a clock jump): park again until it is due.
      if (held.at - now > (maxWaitMs ?? 0)) throw new SendSlotBusyError(`send slot reserved in ${held.at - now} ms`, Math.max(1, held.at - now - WAKE_EARLY_MS * limits.timeScale));
      reservations.delete(key);
      return limiter.claim(held, waits);
    }
    reservations.delete(key);
    try {
      await limiter.take(scopes, { ...waits, holdBeyond: lane === "upload" });
    } catch (error) {
      if (!(error instanceof SendSlotReservedError)) throw error;
      reservations.set(key, error.reservation);
      if (reservations.size > 1000 && reservations.size % 500 === 1) for (const [k, r] of reservations) if (r.at < now - RESERVATION_LATE_MS * limits.timeScale) reservations.delete(k);
      throw new SendSlotReservedError(error.message, Math.max(1, error.retryAfterMs - WAKE_EARLY_MS * limits.timeScale), error.reservation);
    }
  };
  return async (prev, method, payload, signal) => {
    if (!countsAsMessage(method)) return prev(method, payload, signal);
    const { bot, chat } = telegramScopes(options, (payload as { chat_id?: unknown }).chat_id);
    const scopes = chat ? [bot, chat] : [bot];
    for (let attempt = 0; ; attempt++) {
      await slotFor(scopes, (chat ?? bot).key, signal as AbortSignal | undefined);
      const result = await prev(method, payload, signal);
      if (result.ok || result.error_code !== 429) return result;
      const retryAfter = result.parameters?.retry_after ?? 1;
      const pauseMs = retryAfter * 1000 * limits.timeScale;
      const floods = await limiter.count(`${bot.key}:429s`, 1000 * limits.timeScale);
      const paused = floods >= BOT_WIDE_FLOOD_429S || !chat ? scopes : [chat];
      await limiter.pause(paused, pauseMs);
      logger.warn({ method, retryAfter, scope: paused.length > 1 || !chat ? "bot" : "chat", lane }, "telegram answered 429: pausing");
      if (lane === "status" || lane === "progress") throw new RateLimitedError(`Telegram rate-limited ${method}; retry after ${retryAfter} s`, pauseMs);
      if (lane === "upload" || attempt >= options.maxRetries || retryAfter > options.maxRetryWaitSeconds) return result;
    }
  };
}
