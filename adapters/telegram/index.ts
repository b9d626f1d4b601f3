import { sequentialize } from "@grammyjs/runner";
import { autoRetry } from "@grammyjs/auto-retry";
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { RedisClient } from "../../src/redis/client.js";
import type { ChatAdapter, MessageHandler } from "../../src/chat/adapter.js";
import type { Config } from "../../src/config.js";
import { ChatError } from "../../src/errors.js";
import { telegramAlbumKey, UpdateClaims } from "../../src/chat/update-claims.js";
import type { Logger } from "../../src/log.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { AlbumGatherer, ChatQueue } from "./album.js";
import { createApis, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./api.js";
import { publishCommands } from "./commands.js";
import { webhookConnection, type Connection, type WebhookHandler } from "./connection.js";
import { describeError } from "./describe-error.js";
import { UpdateInbox, type InboxSettings } from "./inbox.js";
import { createTelegramFileOpener } from "./files.js";
import { createTelegramOutbox } from "./outbox.js";
import { pollingConnection } from "./polling.js";
import { DEFAULT_TELEGRAM_LIMITS, throttle, type TelegramRateLimits } from "./rate-limits.js";
import { cloudLimitText, overCloudLimit, type SkillLimits } from "./size-rules.js";
import { callbackToChatMessage, readMessageUpdate, type TelegramMessage } from "./to-chat-message.js";
import { trimEndOf } from "../../src/text/trim.js";

export { TelegramRateLimitedError, TelegramVideoTooLargeError } from "./errors.js";
export type { TelegramMessage } from "./to-chat-message.js";
export type { SkillLimits } from "./size-rules.js";
export { DEFAULT_TELEGRAM_LIMITS, type TelegramRateLimits } from "./rate-limits.js";

/** Knobs with production defaults; tests make the waits tiny. */
export interface TelegramTuning {
  /** How long an album's files are gathered before they go on as one message. */
  albumWindowMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** How often "uploading video…" is renewed during an upload. */
  activityIntervalMs?: number;
  /** Skips `getMe` at start (tests that know the bot). */
  botInfo?: UserFromGetMe;
  /** Telegram's limits (defaults: its documented ones, TELEGRAM_MESSAGES_PER_SECOND for the bot). */
  rateLimits?: Partial<TelegramRateLimits>;
}

export interface TelegramAdapter extends ChatAdapter {
  readonly platform: "telegram";
  /** Set in webhook mode (`TELEGRAM_WEBHOOK_URL`): mount it on the HTTP server at the webhook's path. */
  readonly webhookHandler: WebhookHandler | undefined;
  /** The path of TELEGRAM_WEBHOOK_URL (`/telegram/webhook`), where the HTTP server mounts the handler. */
  readonly webhookPath: string | undefined;
  /** The bot's @username once started (the router strips it from texts). */
  botUsername(): string | undefined;
}

export interface TelegramAdapterDeps {
  logger: Logger;
  skill: SkillLimits;
  /** Where the bot's rate limits are kept, shared with its other processes (keys under QUEUE_PREFIX). */
  redis: RedisClient;
  tuning?: TelegramTuning;
}

export function createTelegramAdapter(config: Config, deps: TelegramAdapterDeps): TelegramAdapter {
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new ChatError("config_invalid", "TELEGRAM_BOT_TOKEN is not set");
  const apiRoot = trimEndOf(config.TELEGRAM_API_ROOT, "/");
  const logger = deps.logger.child({ adapter: "telegram" });
  const tuning = deps.tuning ?? {};
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...tuning.retryPolicy };
  const localApi = config.TELEGRAM_LOCAL_API;

  const limits: TelegramRateLimits = { ...DEFAULT_TELEGRAM_LIMITS, botPerSecond: config.TELEGRAM_MESSAGES_PER_SECOND, ...tuning.rateLimits };
  const throttleOptions = {
    limiter: new SharedRateLimiter(deps.redis, logger),
    limits,
    botId: token.split(":")[0] ?? "bot",
    prefix: config.QUEUE_PREFIX,
    maxRetryWaitSeconds: policy.maxInteractiveWaitSeconds,
    maxRetries: policy.maxInteractiveRetries,
    logger,
  };
  const apis = createApis(token, apiRoot, policy, (lane) => throttle(throttleOptions, lane));
  const outbox = createTelegramOutbox({ apis, localApi, policy, logger, activityIntervalMs: tuning.activityIntervalMs });
  const openAttachment = createTelegramFileOpener({ api: apis.interactive, token, apiRoot, localApi });

  let bot: Bot | undefined;
  let connection: Connection | undefined;
  const queue = new ChatQueue();
  const claims = new UpdateClaims(deps.redis, config.QUEUE_PREFIX);
  const inboxSettings: InboxSettings = {
    maxInHand: config.TELEGRAM_INBOX_MAX_IN_HAND,
    retryAfterMs: config.TELEGRAM_INBOX_RETRY_AFTER_MS,
    sweepEveryMs: config.TELEGRAM_INBOX_SWEEP_MS,
  };

  /** Refuses a file Telegram will not hand over (before any download), else hands the message to the router. */
  const deliver = async (message: TelegramMessage, handle: MessageHandler): Promise<void> => {
    try {
      const tooBig = overCloudLimit(message.attachments, { localApi, skill: deps.skill });
      if (tooBig) {
        // Answered here, not by the router: a re-delivery of an update answered already is dropped.
        if (message.updateKey && (await claims.state(message.updateKey)).handled) {
          logger.debug({ updateKey: message.updateKey }, "telegram: duplicate update dropped");
          return;
        }
        logger.info({ chatId: message.chatId, size: tooBig.size }, "telegram file over the cloud Bot API's 20 MB: refused before download");
        await outbox.sendText(message.replyTo, cloudLimitText(tooBig, message.locale, deps.skill));
        if (message.updateKey) await claims.markHandled(message.updateKey);
        return;
      }
      await handle(message);
    } catch (error) {
      // Never the message itself: it may hold a token.
      logger.error({ chatId: message.chatId, error: describeError(error) }, "telegram message handling failed");
    }
  };

  const installHandlers = (b: Bot, handle: MessageHandler): void => {
    b.api.config.use(autoRetry({ maxRetryAttempts: policy.maxInteractiveRetries, maxDelaySeconds: policy.maxInteractiveWaitSeconds, rethrowHttpErrors: true, rethrowInternalServerErrors: true }));
    const albums = new AlbumGatherer(tuning.albumWindowMs ?? 800, async (merged, albumId) => {
      // One update for the whole album, however many of its parts Telegram (re-)delivers.
      const album = { ...merged, updateKey: telegramAlbumKey(b.botInfo.id, albumId) };
      if (album.addressed) await queue.run(album.chatId, () => deliver(album, handle));
    });
    stopAlbums = () => albums.flushAll();
    // An album's part is done only when its album was handled (after the gathering window), so the
    // offset that lets Telegram forget it waits for that; awaited outside the chat's sequence, which
    // must go on to take the album's other parts.
    const albumsOf = new Map<number, Promise<void>>();
    b.use(async (ctx, next) => {
      try {
        await next();
      } finally {
        const album = albumsOf.get(ctx.update.update_id);
        albumsOf.delete(ctx.update.update_id);
        if (album) await album;
      }
    });
    // One chat's updates are handled in order; different chats in parallel.
    b.use(sequentialize((ctx) => ctx.chat?.id.toString()));
    b.on("message", async (ctx) => {
      const message = readMessageUpdate(ctx.update, ctx.message, ctx.me);
      if (!message) return;
      const groupId = ctx.message.media_group_id;
      if (groupId) {
        albumsOf.set(ctx.update.update_id, albums.add(groupId, message));
        return;
      }
      albums.flushChat(message.chatId);
      if (!message.addressed) return;
      await queue.run(message.chatId, () => deliver(message, handle));
    });
    b.on("callback_query:data", async (ctx) => {
      // Answer at once so the button stops spinning, whatever the router makes of it.
      await ctx.answerCallbackQuery().catch((error: unknown) => logger.debug({ error: describeError(error) }, "answerCallbackQuery failed"));
      const message = callbackToChatMessage(ctx.update, ctx.callbackQuery, ctx.me.id);
      if (!message) return;
      albums.flushChat(message.chatId);
      await queue.run(message.chatId, () => deliver(message, handle));
    });
    b.catch((error) => {
      logger.error({ updateId: error.ctx.update.update_id, error: describeError(error) }, "telegram update failed");
    });
  };
  let stopAlbums = (): void => undefined;
  const webhookPath = config.TELEGRAM_WEBHOOK_URL ? new URL(config.TELEGRAM_WEBHOOK_URL).pathname : undefined;

  return {
    platform: "telegram",
    outbox,
    openAttachment,
    opens: (source) => source.type === "platform-file" && source.platform === "telegram",
    get webhookHandler() {
      return connection?.webhookHandler;
    },
    webhookPath,
    httpRoutes: () => (webhookPath && connection?.webhookHandler ? { [webhookPath]: connection.webhookHandler } : {}),
    botUsername: () => (bot?.isInited() ? bot.botInfo.username : undefined),

    async start(handle) {
      if (bot) throw new ChatError("already_started", "The Telegram adapter is already running");
      bot = new Bot(token, { client: { apiRoot }, ...(tuning.botInfo ? { botInfo: tuning.botInfo } : {}) });
      // The webhook keeps its inbox even at TELEGRAM_INBOX_MAX_IN_HAND=0 (it then answers after
      // handling, and sweeps what earlier processes left); polling then holds the offset instead.
      const inbox = new UpdateInbox(deps.redis, config.QUEUE_PREFIX, inboxSettings, logger);
      connection = config.TELEGRAM_WEBHOOK_URL
        ? webhookConnection(bot, inbox, { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET ?? "" })
        : pollingConnection(bot, inboxSettings.maxInHand > 0 ? inbox : undefined, logger);
      installHandlers(bot, handle);
      await bot.init();
      try {
        await publishCommands(bot.api);
      } catch (error) {
        // The menu is a convenience: a bot without it still works.
        logger.warn({ error: describeError(error) }, "telegram setMyCommands failed");
      }
      await connection.start();
      logger.info({ bot: bot.botInfo.username, mode: config.TELEGRAM_WEBHOOK_URL ? "webhook" : "polling" }, "telegram adapter started");
    },

    async stop() {
      await connection?.stop(async () => {
        // Albums still gathering go on now rather than being lost; then in-flight work finishes.
        stopAlbums();
        await queue.idle();
      });
      connection = undefined;
      bot = undefined;
    },

    healthy: () => connection?.healthy() ?? false,
  };
}
