import type { Attachment, ButtonInteraction, ChatInputCommandInteraction, Message } from "discord.js";
import type { ChatAttachment, ChatMessage } from "../../src/chat/message.js";
import { threadIdOf, userKeyOf } from "../../src/chat/message.js";
import { localeFromTag } from "../../src/i18n/index.js";
import { intentOf } from "./buttons.js";
import { DEFAULT_ATTACHMENT_LIMIT, toHandleData, type DiscordReplyData } from "./reply-data.js";
import type { TokenSeal } from "./seal.js";

/**
 * Discord updates → the normalized ChatMessage. A slash command becomes the text command the
 * router understands (`/edit prompt` → the prompt, `/export` → "/export", `/token value` →
 * "/token value"); its attachment option becomes a ChatAttachment whose source is the signed CDN
 * URL, which NemoVideo can fetch itself.
 */

export type DiscordRaw = ChatInputCommandInteraction | ButtonInteraction | Message;

export interface InteractionContext {
  /** How long after the interaction its webhook is used (DISCORD_INTERACTION_WINDOW_MS). */
  windowMs: number;
  /** The reply was deferred ephemerally. */
  ephemeral: boolean;
  seal: TokenSeal;
  now?: number;
}

/** The text the router reads for a slash command. */
export function commandText(name: string, option: (name: string) => string | null): string {
  switch (name) {
    case "edit":
      return option("prompt") ?? "";
    case "upload":
      return "";
    case "token":
      return `/token ${option("value") ?? ""}`.trim();
    case "lang":
      return `/lang ${option("language") ?? ""}`.trim();
    case "cancel":
      return `/cancel ${option("which") ?? ""}`.trim();
    default:
      return `/${name}`;
  }
}

export function attachmentKind(contentType: string | null | undefined, name: string): ChatAttachment["kind"] {
  const type = (contentType ?? "").toLowerCase();
  if (type === "image/gif") return "animation";
  if (type.startsWith("video/")) return "video";
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("audio/")) return "audio";
  if (/\.(mp4|mov|avi|webm|mkv|m4v)$/i.test(name)) return "video";
  if (/\.(png|jpe?g|webp)$/i.test(name)) return "image";
  return "document";
}

export function toChatAttachment(a: Attachment): ChatAttachment {
  // discord.js keeps the payload's values as they came: read the documented strings as strings only.
  const contentType: unknown = a.contentType;
  const mimeType = typeof contentType === "string" ? contentType : undefined;
  const name = typeof (a.name as unknown) === "string" ? a.name : `attachment-${a.id}`;
  return {
    id: a.id,
    name,
    size: a.size,
    mimeType,
    kind: attachmentKind(mimeType, name),
    ...(a.duration !== null ? { duration: a.duration } : {}),
    ...(a.width !== null ? { width: a.width } : {}),
    ...(a.height !== null ? { height: a.height } : {}),
    source: { type: "public-url", url: a.url },
  };
}

/**
 * An option's value, or null when it has another type than asked: discord.js throws then, and a
 * command registered earlier with other option types (or a forged payload) must not stop the answer.
 */
function optionOrNull<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

export function interactionToMessage(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  context: InteractionContext,
): ChatMessage<DiscordRaw> {
  const now = context.now ?? Date.now();
  const channelId = interaction.channelId ?? "";
  const guildId = interaction.guildId ?? undefined;
  // The clock starts at the earlier of Discord's time and ours, so skew never stretches the window.
  const startedAt = Math.min(interaction.createdTimestamp, now);
  const data: DiscordReplyData = {
    channelId,
    userId: interaction.user.id,
    guildId,
    applicationId: interaction.applicationId,
    interactionId: interaction.id,
    token: interaction.token,
    expiresAt: startedAt + context.windowMs,
    attachmentLimit: interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT,
    ephemeral: context.ephemeral,
    messageId: undefined,
  };
  let text = "";
  let attachments: ChatAttachment[] = [];
  let button: ChatMessage["button"];
  if (interaction.isChatInputCommand()) {
    text = commandText(interaction.commandName, (name) => {
      // discord.js hands on the payload's value as it came: a string option may hold a number.
      const value: unknown = optionOrNull(() => interaction.options.getString(name));
      return typeof value === "string" ? value : null;
    });
    const file = optionOrNull(() => interaction.options.getAttachment("file"));
    attachments = file ? [toChatAttachment(file)] : [];
  } else {
    button = intentOf(interaction.customId);
  }
  // An ephemeral exchange (/token) is seen by the user alone, even in a server: private, like a DM.
  const chatKind = guildId && !context.ephemeral ? "group" : "private";
  return {
    platform: "discord",
    threadId: threadIdOf("discord", channelId),
    chatId: channelId,
    messageId: interaction.id,
    userKey: userKeyOf("discord", interaction.user.id),
    userId: interaction.user.id,
    userName: interaction.user.globalName ?? interaction.user.username,
    chatKind,
    // A slash command or a button press is always meant for the bot.
    addressed: true,
    text,
    attachments,
    locale: localeFromTag(interaction.locale),
    ...(button ? { button } : {}),
    replyTo: { platform: "discord", chatId: channelId, threadId: threadIdOf("discord", channelId), chatKind, data: toHandleData(data, context.seal) },
    raw: interaction,
  };
}

/**
 * A plain message (only with the Message Content intent): in a DM always for the bot; in a server
 * only when it @mentions the bot. Undefined for messages the bot should ignore: other bots' and
 * Discord's own (a pin notice). One with nothing the bot can use (a sticker, a poll, a bare
 * mention) still goes on, so the router answers with what the bot takes instead of silence.
 */
export function plainMessageToMessage(message: Message, botUserId: string, seal: TokenSeal): ChatMessage<DiscordRaw> | undefined {
  if (message.author.bot || message.system) return undefined;
  const guildId = message.guildId ?? undefined;
  const mentioned = message.mentions.users.has(botUserId);
  if (guildId && !mentioned) return undefined;
  const text = message.content.replace(new RegExp(`<@!?${botUserId}>`, "g"), "").trim();
  const attachments = [...message.attachments.values()].map(toChatAttachment);
  const chatKind = guildId ? "group" : "private";
  const data: DiscordReplyData = {
    channelId: message.channelId,
    userId: message.author.id,
    guildId,
    applicationId: undefined,
    interactionId: undefined,
    token: undefined,
    expiresAt: undefined,
    attachmentLimit: DEFAULT_ATTACHMENT_LIMIT,
    ephemeral: false,
    messageId: message.id,
  };
  return {
    platform: "discord",
    threadId: threadIdOf("discord", message.channelId),
    chatId: message.channelId,
    messageId: message.id,
    userKey: userKeyOf("discord", message.author.id),
    userId: message.author.id,
    userName: message.author.globalName ?? message.author.username,
    chatKind,
    addressed: true,
    text,
    attachments,
    locale: localeFromTag(message.guild?.preferredLocale),
    replyTo: { platform: "discord", chatId: message.channelId, threadId: threadIdOf("discord", message.channelId), chatKind, data: toHandleData(data, seal) },
    raw: message,
  };
}
