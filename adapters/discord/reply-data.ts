import type { ReplyHandle } from "../../src/chat/message.js";
import type { TokenSeal } from "./seal.js";

/**
 * What a Discord ReplyHandle carries in `data`, so a worker in another process can answer: the
 * interaction's webhook (application id + interaction token) while it is valid, and the channel or
 * the user's DM after it. Plain messages (Message Content intent) carry no interaction.
 */
export interface DiscordReplyData {
  channelId: string;
  userId: string;
  guildId: string | undefined;
  applicationId: string | undefined;
  interactionId: string | undefined;
  /** The interaction token: a secret for 15 minutes, so the handle carries it sealed (seal.ts). */
  token: string | undefined;
  /** ms since epoch after which the interaction webhook is no longer used. */
  expiresAt: number | undefined;
  /** The interaction's `attachment_size_limit` in bytes. */
  attachmentLimit: number | undefined;
  /** The reply was deferred ephemerally (`/token`): follow-ups stay ephemeral, and nothing goes to the channel. */
  ephemeral: boolean;
  /** The user's message, for plain messages (to reply to it). */
  messageId: string | undefined;
}

/** Discord's default upload limit for bots without a boosted server. */
export const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

export function toHandleData(data: DiscordReplyData, seal: TokenSeal): NonNullable<ReplyHandle["data"]> {
  const out: NonNullable<ReplyHandle["data"]> = {};
  const { token, ...rest } = data;
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) out[key] = value as string | number | boolean;
  if (token !== undefined) out.sealedToken = seal.seal(token);
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export function readHandleData(to: ReplyHandle, seal: TokenSeal): DiscordReplyData {
  const d = to.data ?? {};
  const sealed = str(d.sealedToken);
  return {
    channelId: str(d.channelId) ?? to.chatId,
    userId: str(d.userId) ?? "",
    guildId: str(d.guildId),
    applicationId: str(d.applicationId),
    interactionId: str(d.interactionId),
    // A token sealed under another bot's key opens to undefined: the answer then goes to the channel.
    token: sealed === undefined ? undefined : seal.open(sealed),
    expiresAt: num(d.expiresAt),
    attachmentLimit: num(d.attachmentLimit),
    ephemeral: d.ephemeral === true,
    messageId: str(d.messageId),
  };
}

/** The interaction webhook, while it may still be used. */
export function liveWebhook(data: DiscordReplyData, now = Date.now()): { applicationId: string; token: string } | undefined {
  if (!data.applicationId || !data.token || data.expiresAt === undefined || now >= data.expiresAt) return undefined;
  return { applicationId: data.applicationId, token: data.token };
}
