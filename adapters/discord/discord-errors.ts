import { DiscordAPIError, HTTPError } from "@discordjs/rest";
import { nameOf, textOf } from "../../src/error-shape.js";
import { ChatError } from "../../src/errors.js";

/** Discord's JSON error codes the outbox acts on. */
export const DiscordCode = {
  unknownMessage: 10008,
  unknownWebhook: 10015,
  unknownInteraction: 10062,
  missingAccess: 50001,
  cannotDmUser: 50007,
  missingPermissions: 50013,
  invalidWebhookToken: 50027,
} as const;

export function discordCode(error: unknown): number | undefined {
  return error instanceof DiscordAPIError && typeof error.code === "number" ? error.code : undefined;
}

export function hasCode(error: unknown, ...codes: number[]): boolean {
  const code = discordCode(error);
  return code !== undefined && codes.includes(code);
}

/** The interaction's webhook can no longer be used: the token expired (or the interaction is gone). */
export const webhookGone = (error: unknown) =>
  hasCode(error, DiscordCode.invalidWebhookToken, DiscordCode.unknownWebhook, DiscordCode.unknownInteraction);

/** The app may not post in this channel (user-installed app, or no permission): try a DM. */
export const noChannelAccess = (error: unknown) => hasCode(error, DiscordCode.missingAccess, DiscordCode.missingPermissions);

/** A URL of an interaction or webhook holds its token: never let it reach a log or an error message. */
export function scrubDiscordUrl(text: string): string {
  return text.replace(/\/(webhooks|interactions)\/(\d+)\/[^/\s?]+/g, "/$1/$2/[redacted]");
}

/**
 * What the outbox throws. It copies only what is safe from the library's error (code, status,
 * message): @discordjs/rest errors carry the request URL, which holds the interaction token.
 */
export class DiscordDeliveryError extends ChatError {
  override readonly name = "DiscordDeliveryError";
  readonly status: number | undefined;
  readonly discordCode: number | undefined;
  constructor(code: "discord_api" | "discord_unreachable" | "discord_file_too_large", message: string, details: { status?: number; discordCode?: number } = {}) {
    super(code, scrubDiscordUrl(message));
    this.status = details.status;
    this.discordCode = details.discordCode;
  }
}

/** A log-safe summary of any error from @discordjs/rest, or of any other thrown value (never throws). */
export function describeError(error: unknown): { code?: number | string; status?: number; method?: string; message: string } {
  try {
    return summarize(error);
  } catch {
    // Even `instanceof` can throw (a revoked Proxy): the log line still gets written.
    return { message: "(an error that could not be read)" };
  }
}

function summarize(error: unknown): { code?: number | string; status?: number; method?: string; message: string } {
  if (error instanceof DiscordAPIError) return { code: error.code, status: error.status, method: error.method, message: scrubDiscordUrl(textOf(error)) };
  if (error instanceof HTTPError) return { status: error.status, method: error.method, message: scrubDiscordUrl(textOf(error)) };
  if (error instanceof ChatError) return { code: error.code, message: scrubDiscordUrl(textOf(error)) };
  return { message: scrubDiscordUrl(error instanceof Error ? `${nameOf(error)}: ${textOf(error)}` : textOf(error)) };
}

export function toDeliveryError(error: unknown): DiscordDeliveryError {
  if (error instanceof DiscordDeliveryError) return error;
  const safe = describeError(error);
  return new DiscordDeliveryError("discord_api", `Discord refused the request: ${safe.message}`, {
    status: safe.status,
    discordCode: typeof safe.code === "number" ? safe.code : undefined,
  });
}
