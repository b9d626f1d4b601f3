import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Paths pino blanks in every log line. Tokens travel in headers, configs and job data under these
 * names; a Telegram file URL holds the bot token, so URLs of files are redacted too.
 */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "*.*.token",
  "auth",
  "*.auth",
  "*.*.auth",
  "authorization",
  "*.authorization",
  "*.*.authorization",
  "headers.Authorization",
  "*.headers.Authorization",
  "req.headers.authorization",
  "config.NEMO_TOKEN",
  "config.TELEGRAM_BOT_TOKEN",
  "config.DISCORD_TOKEN",
  "config.TOKEN_KEY",
  "fileUrl",
  "*.fileUrl",
  "file_url",
  "*.file_url",
];

/** Telegram bot tokens (`123456:AA…`), Bot API file/method URLs and bearer tokens, wherever they hide in text. */
const SECRET_PATTERNS: RegExp[] = [
  /\/(?:file\/)?bot\d+:[A-Za-z0-9_-]+/g,
  /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g,
  /Bearer\s+[\w.~+/=-]+/gi,
  /\bnmv_[A-Za-z0-9_]+/g,
];

/** Removes secrets from free text (error messages carry URLs and headers). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, "[redacted]");
  return out;
}

/** A serialized error with `scrubSecrets` applied to every string in it, however deep. */
function scrubDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return scrubSecrets(value) as T;
  if (value === null || typeof value !== "object") return value;
  // Deeper than any error's own structure (or a cycle): left out rather than printed unscrubbed.
  if (depth > 8) return "[too deep]" as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubDeep(item, depth + 1)) as T;
  // A copy: pino's error serializer passes the error's own objects (a request payload) through by reference.
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) copy[key] = scrubDeep(item, depth + 1);
  return copy as T;
}

export interface LoggerOptions {
  level?: string;
  /** Pretty lines for a person at a terminal; JSON otherwise. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base: pino.LoggerOptions = {
    level: options.level ?? "info",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: {
      // Every string, nested ones too: grammY's HttpError keeps node-fetch's error (whose message is
      // "request to https://…/bot<token>/… failed") in an `error` field that pino serializes as is.
      err: (error: unknown) => scrubDeep(pino.stdSerializers.err(error as Error)),
    },
    hooks: {
      // Messages are free text: scrub them as well as the structured fields.
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === "string" ? scrubSecrets(a) : a)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true, destination: 2 } } });
  }
  return pino(base);
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: "silent" });
