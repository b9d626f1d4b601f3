import { Queue } from "bullmq";
import type { RedisClient } from "./redis/client.js";
import type { Readable } from "node:stream";
import { createTelegramAdapter } from "../adapters/telegram/index.js";
import { createWorkQueue, startWorkers, type RunningWorkers, type WorkerTuning } from "../jobs/index.js";
import { queueNames } from "../jobs/keys.js";
import { createAccounts } from "./accounts/index.js";
import type { ChatAdapter } from "./chat/adapter.js";
import type { AttachmentSource, Platform } from "./chat/message.js";
import type { Outbox } from "./chat/outbox.js";
import type { Config } from "./config.js";
import { ChatError } from "./errors.js";
import { silentLogger, type Logger } from "./log.js";
import { createNemoClient } from "./nemo/index.js";
import { skillProfile } from "./nemo/skills.js";
import type { NemoApi } from "./nemo/types.js";
import { BULL_BOARD_PATH, createBullBoardRoute } from "./ops/bull-board.js";
import { createMetrics, type BotMetrics } from "./ops/metrics.js";
import { startHttpServer, type HealthReport, type RouteHandler, type RunningHttpServer } from "./ops/http-server.js";
import { createQuotas, MessageRateLimit } from "./quota/index.js";
import { SharedRateLimiter } from "./ratelimit/shared-limiter.js";
import { closeConnection, connectRedis, redisTargetOf } from "./redis/client.js";
import { RedisThumbnails } from "./present/thumbnails.js";
import { createRouter } from "./router/index.js";
import { UpdateClaims } from "./chat/update-claims.js";

export interface AppOptions {
  /** REDIS_URL must be resolved (see src/redis/connect.ts) unless REDIS_CLUSTER_NODES is set. */
  config: Config;
  logger?: Logger;
  /** The chat adapters; by default the ones whose tokens are configured. */
  adapters?: ChatAdapter[];
  metrics?: BotMetrics;
  /** Worker knobs that tests shrink. */
  workerTuning?: WorkerTuning;
  /** Another client (tests wrap it to count calls); default from the config. */
  nemo?: NemoApi;
}

export interface App {
  adapters: ChatAdapter[];
  http: RunningHttpServer | undefined;
  metrics: BotMetrics;
  health(): Promise<HealthReport>;
  /** Resolves once no work is queued, running or waiting for a render (a scripted chat ends then). */
  whenIdle(options?: { pollMs?: number; settleChecks?: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * The chat adapters whose tokens are set. discord.js (~35 MB resident) is loaded only when a Discord
 * token is. `redis` keeps each platform's rate limits, shared by all processes of the bot.
 */
export async function configuredAdapters(config: Config, logger: Logger, redis: RedisClient): Promise<ChatAdapter[]> {
  const skill = skillProfile(config.SKILL_PROFILE);
  const adapters: ChatAdapter[] = [];
  if (config.TELEGRAM_BOT_TOKEN) adapters.push(createTelegramAdapter(config, { logger, skill, redis }));
  if (config.DISCORD_TOKEN) {
    const { createDiscordAdapter } = await import("../adapters/discord/index.js");
    adapters.push(createDiscordAdapter(config, { logger, skill, redis }));
  }
  return adapters;
}

/**
 * Wires one process: the router on the adapters' updates (ROLE all or bot), the workers (ROLE all
 * or worker), and the HTTP server for health, metrics and the Telegram webhook when HTTP_PORT is set.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const redisTarget = redisTargetOf(config);
  const skill = skillProfile(config.SKILL_PROFILE);
  const metrics = options.metrics ?? createMetrics();
  const nemo = options.nemo ?? createNemoClient(config, skill, { logger: logger.child({ component: "nemo" }) });
  const redis: RedisClient = connectRedis(redisTarget, "client");
  redis.on("error", (error) => logger.warn({ err: error }, "Redis connection error"));
  const { accounts, preferences } = createAccounts(config, { redis, nemo, logger });
  const thumbnails = new RedisThumbnails(redis, config.QUEUE_PREFIX);
  const adapters = options.adapters ?? (await configuredAdapters(config, logger, redis));
  const runsBot = config.ROLE !== "worker";
  const runsWorkers = config.ROLE !== "bot";

  const adapterFor = (platform: Platform): ChatAdapter => {
    const adapter = adapters.find((a) => a.platform === platform);
    if (!adapter) throw new ChatError("no_adapter", `no ${platform} adapter is configured in this process`);
    return adapter;
  };
  const outbox = (platform: Platform): Outbox => adapterFor(platform).outbox;
  const openAttachment = async (source: AttachmentSource, signal?: AbortSignal): Promise<Readable> => {
    const adapter = adapters.find((a) => a.opens(source));
    if (!adapter) throw new ChatError("unsupported_source", `no adapter in this process opens a ${source.type} attachment`);
    return adapter.openAttachment(source, signal);
  };

  let workers: RunningWorkers | undefined;
  // The items' own reads (the user's token and session, thumbnails) wait out a Redis restart like
  // the workers' queue commands: over the fail-fast connection a restart under load turned queued
  // exports and uploads into "something went wrong".
  const workerRedis = runsWorkers ? connectRedis(redisTarget, "worker") : undefined;
  if (workerRedis) {
    workerRedis.on("error", (error) => logger.warn({ err: error }, "workers' account reads: Redis connection error"));
    workers = await startWorkers({
      config,
      connection: redisTarget,
      nemo,
      accounts: createAccounts(config, { redis: workerRedis, nemo, logger }).accounts,
      outbox,
      openAttachment,
      thumbnails: new RedisThumbnails(workerRedis, config.QUEUE_PREFIX),
      logger: logger.child({ component: "jobs" }),
      ...(options.workerTuning ? { tuning: options.workerTuning } : {}),
      events: {
        onTurnDone: (ms, outcome) => metrics.turnSeconds.observe({ outcome }, ms / 1000),
        onExportDone: (ms, delivery) => metrics.exportSeconds.observe({ outcome: delivery }, ms / 1000),
        onBackendError: (code) => metrics.backendErrors.inc({ code }),
      },
    });
  }

  const work = createWorkQueue({ connection: redisTarget, prefix: config.QUEUE_PREFIX, logger: logger.child({ component: "queue" }), outbox, maxItems: config.MAILBOX_MAX_ITEMS });
  const watched = [queueNames.session, queueNames.render].map((name) => new Queue(name, { connection: redis, prefix: config.QUEUE_PREFIX }));
  // `redis` logs its own errors; without a listener BullMQ prints each one to the console.
  for (const queue of watched) queue.on("error", () => undefined);

  if (runsBot) {
    const router = createRouter({
      config,
      accounts,
      nemo,
      work,
      outbox,
      skill,
      quotas: createQuotas(config, { redis, prefix: config.QUEUE_PREFIX }),
      messageRate: new MessageRateLimit({
        redis,
        prefix: config.QUEUE_PREFIX,
        limiter: new SharedRateLimiter(redis, logger.child({ component: "message-rate" })),
        rate: { perMinute: config.MESSAGES_PER_MINUTE, burst: config.MESSAGE_BURST },
      }),
      preferences,
      claims: new UpdateClaims(redis, config.QUEUE_PREFIX),
      thumbnails,
      logger: logger.child({ component: "router" }),
      botUsername: (platform) => adapters.find((a) => a.platform === platform)?.botUsername(),
      onRouted: (platform, intent) => metrics.messagesByIntent.inc({ platform, intent }),
    });
    for (const adapter of adapters) await adapter.start((message) => router.handle(message));
  }

  async function health(): Promise<HealthReport> {
    const checks: HealthReport["checks"] = {};
    try {
      // Not connected: said at once (this connection's commands wait out a restart for about 10 s,
      // longer than a health probe waits).
      checks.redis = redis.status === "ready" ? { ok: (await redis.ping()) === "PONG" } : { ok: false, detail: `not connected (${redis.status})` };
    } catch (error) {
      checks.redis = { ok: false, detail: error instanceof Error ? error.message : "unreachable" };
    }
    try {
      await Promise.all(watched.map((q) => q.getJobCounts("waiting")));
      checks.queues = { ok: true };
    } catch {
      checks.queues = { ok: false, detail: "queues unreadable" };
    }
    if (runsBot) for (const adapter of adapters) checks[adapter.platform] = { ok: adapter.healthy() };
    if (runsWorkers) checks.workers = { ok: workers?.healthy() ?? false };
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }

  async function refreshJobGauges(): Promise<void> {
    for (const queue of watched) {
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized");
      for (const [state, count] of Object.entries(counts)) metrics.jobsByState.set({ queue: queue.name, state }, count);
    }
  }

  async function pendingJobs(): Promise<number> {
    let pending = 0;
    for (const queue of watched) {
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      pending += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return pending;
  }

  let http: RunningHttpServer | undefined;
  if (config.HTTP_PORT !== undefined) {
    const routes: Record<string, RouteHandler> = {};
    for (const adapter of adapters) Object.assign(routes, adapter.httpRoutes());
    // Read-only and behind a password: job data names users and chats.
    if (config.BULL_BOARD_PASSWORD) routes[BULL_BOARD_PATH] = createBullBoardRoute({ queues: watched, password: config.BULL_BOARD_PASSWORD });
    http = await startHttpServer({ port: config.HTTP_PORT, metrics, health, beforeScrape: refreshJobGauges, routes, logger });
    logger.info({ port: http.port }, "HTTP server: /healthz and /metrics");
  }

  let closed = false;
  return {
    adapters,
    http,
    metrics,
    health,
    async whenIdle({ pollMs = 200, settleChecks = 3 } = {}) {
      // Several quiet reads in a row: a finishing item may queue a follow-up (a turn's export).
      let quiet = 0;
      while (quiet < settleChecks) {
        quiet = (await pendingJobs()) === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Stop taking messages first, then let workers finish or hand back what they hold.
      if (runsBot) for (const adapter of adapters) await adapter.stop().catch((error: unknown) => logger.warn({ err: error }, "adapter stop failed"));
      await http?.close();
      await workers?.close();
      await work.close();
      await Promise.all(watched.map((q) => q.close()));
      if (workerRedis) await closeConnection(workerRedis);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
