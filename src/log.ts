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
  /Bearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bnmv_[A-Za-z0-9_]+/g,
];

/** Removes secrets from free text (error messages carry URLs and headers). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, "[redacted]");
  return out;
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
      err: (error: unknown) => {
        const serialized = pino.stdSerializers.err(error as Error);
        if (typeof serialized.message === "string") serialized.message = scrubSecrets(serialized.message);
        if (typeof serialized.stack === "string") serialized.stack = scrubSecrets(serialized.stack);
        return serialized;
      },
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
