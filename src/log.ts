import pino, { type Logger } from "pino";
import { SECRET_KEY, scrubText } from "./secrets.js";

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

const REDACTED = "[redacted]";

/** Removes secrets from free text (error messages carry URLs and headers), with the shared list. */
export function scrubSecrets(text: string): string {
  return scrubText(text, REDACTED);
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with every string scrubbed and every secret-named field blanked, however deep.
 * Never throws: a revoked Proxy, a getter that throws or a cycle becomes a placeholder instead of a
 * crash in the middle of logging.
 */
export function scrubDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (value === null || typeof value !== "object") return value;
  try {
    // Deeper than any error's or request's own structure (or a cycle): left out rather than printed unscrubbed.
    if (depth > MAX_DEPTH || seen.has(value)) return "[too deep]";
    seen.add(value);
    if (Array.isArray(value)) return value.map((item: unknown) => scrubDeep(item, depth + 1, seen));
    // An error elsewhere than `err` is serialized by the same rules as `err`.
    if (value instanceof Error) return scrubDeep(pino.stdSerializers.err(value), depth + 1, seen);
    if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
    // A copy: pino's error serializer passes the error's own objects (a request payload) through by reference.
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      copy[key] = SECRET_KEY.test(key) && item !== undefined && item !== null && item !== "" ? REDACTED : scrubDeep(item, depth + 1, seen);
    }
    return copy;
  } catch {
    return "[unreadable]";
  }
}

function isSerialized(value: unknown): boolean {
  try {
    return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && typeof (value as { message?: unknown }).message === "string";
  } catch {
    return false;
  }
}

/** pino's `err` serializer, scrubbed, and safe for any thrown value (a string, a revoked Proxy, an object whose getters throw). */
export function serializeError(error: unknown): unknown {
  try {
    if (error instanceof Error) return scrubDeep(pino.stdSerializers.err(error));
  } catch {
    // Fall through to describing it without touching its properties.
  }
  if (typeof error === "string") return { type: "string", message: scrubSecrets(error) };
  // Already serialized (the line's fields are scrubbed, errors included, before serializers run).
  if (isSerialized(error)) return error;
  let type: string = typeof error;
  try {
    type = Object.prototype.toString.call(error);
  } catch {
    // A revoked Proxy refuses even this.
  }
  return { type, message: "(not an Error)", value: scrubDeep(error) };
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
      err: serializeError,
    },
    formatters: {
      // Every field of every line, not only `err` and `msg`: a token can sit in any field at any depth.
      log: (object) => scrubDeep(object) as Record<string, unknown>,
      bindings: (bindings) => scrubDeep(bindings) as Record<string, unknown>,
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

const LEVEL_METHODS = new Set(["fatal", "error", "warn", "info", "debug", "trace"]);
const ignore = (): void => undefined;

/**
 * `logger.child(bindings)`, made on first use: a line at a level the logger writes, or anything
 * else asked of it. A child costs its bindings serialized (and redacted) up front, and the router
 * makes one per message that mostly logs at debug level only, which is usually off.
 */
export function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  return new Proxy(logger, {
    get(_target, key) {
      if (child === undefined && typeof key === "string" && LEVEL_METHODS.has(key) && !logger.isLevelEnabled(key)) return ignore;
      child ??= logger.child(bindings);
      const value: unknown = Reflect.get(child, key, child);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(child) : value;
    },
  });
}
