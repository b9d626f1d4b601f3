import { z } from "zod";
import { ChatError } from "./errors.js";
import { hashTagged, parseClusterNodes, type ClusterSeeds } from "./redis/cluster-nodes.js";

/**
 * Every setting of the bot, read from the environment and checked at start. An invalid value stops
 * the process with one message that lists every problem; secret values are never printed.
 */

const ms = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const flag = z
  .enum(["0", "1", "true", "false", "yes", "no", ""])
  .optional()
  .transform((v) => v === "1" || v === "true" || v === "yes");
const idList = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []));

export const SKILL_PROFILE_NAMES = [
  "instagram-reels-maker",
  "video-making-ai",
  "video-generator-for-free-ai",
  "editor-ai-instagram",
  "free-image-editing",
] as const;

const schema = z.object({
  NODE_ENV: optionalString,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** all: adapters and workers in one process; bot: adapters only; worker: workers only. */
  ROLE: z.enum(["all", "bot", "worker"]).default("all"),

  NEMO_API_BASE: z.url().default("https://mega-api-prod.nemovideo.ai"),
  NEMO_TOKEN: optionalString,
  SKILL_PROFILE: z.enum(SKILL_PROFILE_NAMES).default("video-making-ai"),
  /** Where anonymous users out of credits register; the link gets `?bind=<id>`. */
  NEMO_REGISTER_URL: z.url().default("https://nemovideo.ai/register"),
  NEMO_SKILL_PLATFORM: z.enum(["clawhub", "cursor", "unknown"]).default("unknown"),
  REQUEST_TIMEOUT_MS: ms(30_000),
  UPLOAD_TIMEOUT_MS: ms(30 * 60_000),
  RETRY_AFTER_429_MS: ms(30_000),
  TURN_TIMEOUT_MS: ms(15 * 60_000),
  SILENT_TIMEOUT_MS: ms(10 * 60_000),
  /**
   * Hosts a render's output URL may be on besides NEMO_API_BASE's: names served over HTTPS
   * (`*.` for any subdomain) or exact origins (`http://host:port`). Anything else is fetched from
   * the authenticated download endpoint instead, and never posted as a link.
   */
  NEMO_CDN_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? ["nemovideo.ai", "*.nemovideo.ai"] : v.split(",").map((s) => s.trim()).filter(Boolean))),

  REDIS_URL: optionalString,
  /**
   * A Redis Cluster's seed nodes (`host:port,…`, or `rediss://user:password@host:port,…`). Set, it
   * wins over REDIS_URL, and QUEUE_PREFIX is hash-tagged (`nemo` → `{nemo}`) so every key shares a slot.
   */
  REDIS_CLUSTER_NODES: optionalString.transform((v, ctx): ClusterSeeds | undefined => {
    if (v === undefined) return undefined;
    const parsed = parseClusterNodes(v);
    if ("problems" in parsed) {
      for (const problem of parsed.problems) ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return parsed;
  }),
  /** The key prefix of everything the bot keeps in Redis (BullMQ's prefix too). */
  QUEUE_PREFIX: z.string().default("nemo"),
  /** 32 bytes as 64 hex characters or base64: the key users' own tokens are encrypted with. */
  TOKEN_KEY: optionalString,

  /**
   * Sessions' items one worker process works on at once. A turn holds its slot only to send its
   * message and to answer: while the backend works, its stream is read by the worker's stream hub
   * and its job is parked (jobs/stream-hub.ts), so open turns take no slot and ten thousand fit in
   * one worker whatever this is. Uploads and export captures have lanes of their own inside it.
   */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(250),
  /** Uploads (platform file → NemoVideo) at once per worker process: a burst of big files cannot starve conversations. */
  UPLOAD_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /** Export captures (read the state, hand the draft to the render queue) at once per worker process. */
  CAPTURE_CONCURRENCY: z.coerce.number().int().positive().default(16),
  /** Sessions (chats) of one user drained at once per worker process; the user's other chats take turns. */
  MAX_SLOTS_PER_USER: z.coerce.number().int().positive().default(2),
  /** Sessions of one chat (a group's members) drained at once per worker process. */
  MAX_SLOTS_PER_CHAT: z.coerce.number().int().positive().default(8),
  /** Items that may wait in one session's mailbox; the next is refused with "/cancel or wait" (0: no cap). */
  MAILBOX_MAX_ITEMS: z.coerce.number().int().nonnegative().default(50),
  /** Render polls at once per worker: each is a short step (a slot is free between polls), so many fit. */
  RENDER_CONCURRENCY: z.coerce.number().int().positive().default(32),
  /**
   * How long a job stays locked to a worker that stopped renewing the lock (a killed process): it is
   * taken over after this, plus at most as long again for the next stalled-job check. BullMQ renews
   * the lock every half of it, so it must outlast the longest event-loop stall.
   */
  JOB_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  STILL_WORKING_MS: ms(120_000),
  RENDER_POLL_MS: ms(30_000),
  RECOVERY_FIRST_WAIT_MS: ms(30_000),
  RECOVERY_POLL_MS: ms(60_000),
  RECOVERY_MAX_UNCHANGED: z.coerce.number().int().positive().default(5),
  EXPORT_DIR: z.string().default("exports"),
  /** A finished render's download or post that failed is retried, first after this long, doubling (at most 5 min)… */
  DELIVERY_RETRY_MS: ms(5_000),
  /** …for this long after the first failure; then the user gets the link. */
  DELIVERY_RETRY_FOR_MS: ms(30 * 60_000),

  ALLOWED_USERS: idList,
  ALLOWED_CHATS: idList,
  /** Per user per hour; 0 turns a limit off. Unset: on (20 / 5) when the operator's token is shared, else off. */
  TURNS_PER_HOUR: z.coerce.number().int().nonnegative().optional(),
  EXPORTS_PER_HOUR: z.coerce.number().int().nonnegative().optional(),
  /** Upload messages (an album counts once) per user per hour; 0 turns the limit off. */
  UPLOADS_PER_HOUR: z.coerce.number().int().nonnegative().default(60),
  /** Messages of any kind per user per minute on average (0: no limit), and how many may come at once. */
  MESSAGES_PER_MINUTE: z.coerce.number().int().nonnegative().default(20),
  MESSAGE_BURST: z.coerce.number().int().positive().default(10),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_LOCAL_API: flag,
  TELEGRAM_WEBHOOK_URL: z.url().optional(),
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  /**
   * Updates confirmed to Telegram once written to the Redis inbox (a webhook POST answered 200, a
   * getUpdates answer confirmed by the next call) and still being handled, per process, at most; past
   * it a POST is answered after handling, and polling fetches no more until some are done. It bounds
   * the process's memory in a flood; bench ingress (2026-11-30, load 6–9) measured 2,000 (webhook:
   * ×0.72–1.11 the rate answered after handling, 4–30% more CPU per update) and 200 (×0.86–1.64, 3–16%
   * more): noise on a loaded machine, 200 holding less (two full getUpdates answers when polling).
   * 0: the inbox off, Telegram told only after handling (a POST answered after it; polling holds the
   * offset at the oldest update in hand, adapters/telegram/held-offsets.ts): the mode before the inbox,
   * one knob for both so that "off" means the same thing however updates arrive.
   */
  TELEGRAM_INBOX_MAX_IN_HAND: z.coerce.number().int().min(0).default(200),
  /** An update still in the inbox this long after it arrived is handled again (its process died or is stuck). */
  TELEGRAM_INBOX_RETRY_AFTER_MS: z.coerce.number().int().positive().default(60_000),
  /** How often one bot process sweeps the inbox for such updates (and at each start). */
  TELEGRAM_INBOX_SWEEP_MS: z.coerce.number().int().positive().default(30_000),
  /** Telegram's limit for the whole bot (its FAQ: about 30; paid broadcasts allow up to 1000). */
  TELEGRAM_MESSAGES_PER_SECOND: z.coerce.number().positive().default(30),

  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_API_ROOT: z.url().default("https://discord.com/api"),
  DISCORD_INTERACTION_WINDOW_MS: ms(840_000),
  DISCORD_MESSAGE_CONTENT: flag,
  /** Discord's global limit for the bot across all its processes (50; Discord raises it for large bots on request). */
  DISCORD_REQUESTS_PER_SECOND: z.coerce.number().positive().default(50),

  HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  BULL_BOARD_PASSWORD: optionalString,
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends ChatError {
  override readonly name = "ConfigError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super("config_invalid", `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Reads and checks the configuration; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join(".");
      // The message names the variable and what it should be, never the value it had.
      problems.push(`${name}: ${issue.message}`);
    }
  }
  // Checked on the raw values so they are listed even when another variable failed the schema.
  const text = (name: string) => (env[name]?.trim() ? env[name].trim() : undefined);
  const tokenKey = text("TOKEN_KEY");
  if (tokenKey !== undefined && decodeTokenKey(tokenKey) === undefined) {
    problems.push("TOKEN_KEY: must be 32 bytes, as 64 hex characters or base64");
  }
  if (text("DISCORD_TOKEN") && !text("DISCORD_APPLICATION_ID")) {
    problems.push("DISCORD_APPLICATION_ID: required when DISCORD_TOKEN is set");
  }
  if (text("TELEGRAM_WEBHOOK_URL") && !text("TELEGRAM_WEBHOOK_SECRET")) {
    problems.push("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set");
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const config = parsed.data;
  // On a cluster every multi-key script (BullMQ's, the mailboxes', the rate limiter's) must find
  // its keys in one slot: one hash tag over the whole prefix does that for all of them.
  return config.REDIS_CLUSTER_NODES ? { ...config, QUEUE_PREFIX: hashTagged(config.QUEUE_PREFIX) } : config;
}

/** The 32-byte key for users' tokens, or undefined when the text is not one. */
export function decodeTokenKey(text: string): Buffer | undefined {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  return bytes.length === 32 ? bytes : undefined;
}

/** Quota defaults: on when many users share the operator's credits, off otherwise. */
export function quotaLimits(config: Config): { turnsPerHour: number; exportsPerHour: number; uploadsPerHour: number } {
  const shared = config.NEMO_TOKEN !== undefined;
  return {
    turnsPerHour: config.TURNS_PER_HOUR ?? (shared ? 20 : 0),
    exportsPerHour: config.EXPORTS_PER_HOUR ?? (shared ? 5 : 0),
    uploadsPerHour: config.UPLOADS_PER_HOUR,
  };
}
