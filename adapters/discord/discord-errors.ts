import { DiscordAPIError, HTTPError } from "@discordjs/rest";
import { nameOf, summarizeError, textOf, type ErrorSummary } from "../../src/error-shape.js";
import { ChatError, type PlatformErrorCode } from "../../src/errors.js";

/** Discord's JSON error codes the outbox acts on. */
export const DiscordCode = {
  unknownMessage: 10008,
  unknownWebhook: 10015,
  unknownInteraction: 10062,
  missingAccess: 50001,
  cannotDmUser: 50007,
  missingPermissions: 50013,
  invalidWebhookToken: 50027,
  requestEntityTooLarge: 40005,
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
  constructor(code: PlatformErrorCode, message: string, details: { status?: number; discordCode?: number } = {}) {
    super(code, scrubDiscordUrl(message));
    this.status = details.status;
    this.discordCode = details.discordCode;
  }
}

/** A log-safe summary of any error from @discordjs/rest, or of any other thrown value (never throws). */
export function describeError(error: unknown): ErrorSummary {
  return summarizeError(error, readDiscordError, scrubDiscordUrl);
}

function readDiscordError(error: unknown): ErrorSummary | undefined {
  if (error instanceof DiscordAPIError) return { name: error.name, code: error.code, status: error.status, method: error.method, message: textOf(error) };
  if (error instanceof HTTPError) return { name: error.name, status: error.status, method: error.method, message: textOf(error) };
  if (error instanceof ChatError) return { name: error.name, code: error.code, message: textOf(error) };
  if (error instanceof Error) return { name: nameOf(error), message: `${nameOf(error)}: ${textOf(error)}` };
  return undefined;
}

export function toDeliveryError(error: unknown): DiscordDeliveryError {
  if (error instanceof DiscordDeliveryError) return error;
  const safe = describeError(error);
  const discordCode = typeof safe.code === "number" ? safe.code : undefined;
  return new DiscordDeliveryError(platformCodeOf(error, safe.status), `Discord refused the request: ${safe.message}`, {
    status: safe.status,
    discordCode,
  });
}

/** What the outbox lets out: our own errors as they are, Discord's translated (jobs never read its codes). */
export function toDiscordChatError(error: unknown): unknown {
  return error instanceof ChatError ? error : toDeliveryError(error);
}

/** Discord's JSON codes and statuses, in the words jobs act on (src/errors.ts). */
function platformCodeOf(error: unknown, status: number | undefined): PlatformErrorCode {
  if (webhookGone(error) || hasCode(error, DiscordCode.unknownMessage)) return "target_gone";
  if (noChannelAccess(error) || hasCode(error, DiscordCode.cannotDmUser)) return "forbidden";
  if (hasCode(error, DiscordCode.requestEntityTooLarge) || status === 413) return "video_too_large";
  return "platform_refused";
}
