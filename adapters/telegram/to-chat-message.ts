import type { CallbackQuery, Message, MessageEntity, Update, UserFromGetMe } from "grammy/types";
import type { ChatAttachment, ChatKind, ChatMessage, ReplyHandle } from "../../src/chat/message.js";
import { threadIdOf, userKeyOf } from "../../src/chat/message.js";
import { localeFromTag } from "../../src/i18n/index.js";
import { telegramUpdateKey } from "../../src/chat/update-claims.js";
import { intentOfCallback } from "./keyboard.js";
import { escapeRegExp, forLastName } from "../../src/text/name-pattern.js";

/** A Telegram update as the rest of the bot sees it; `raw` keeps the whole update aside. */
export type TelegramMessage = ChatMessage<Update>;

/**
 * Turns a message update into a ChatMessage, or undefined when there is nothing to act on. In a
 * private chat every message a person sent goes on, even one with nothing the bot can use (a
 * sticker, a location, a contact, a poll, a dice, a venue): the router answers it with what the bot
 * takes, rather than leaving the person in silence. Service messages (a pin, an auto-delete timer)
 * are no message to the bot. In a group only text or files count, and `addressed` says whether it
 * was a command, a mention of the bot or a reply to it: the adapter hands on only those (an album
 * is judged as a whole).
 */
export function messageToChatMessage(update: Update, message: Message, me: UserFromGetMe): TelegramMessage | undefined {
  const chatKind = chatKindOf(message.chat.type);
  const rawText = message.text ?? message.caption ?? "";
  const entities = message.entities ?? message.caption_entities ?? [];
  const attachments = attachmentsOf(message);
  const usable = rawText.trim() !== "" || attachments.length > 0;
  if (!usable && (chatKind !== "private" || isServiceMessage(message))) return undefined;
  const addressed = chatKind === "private" || isAddressed(rawText, entities, message, me);
  const from = message.from;
  const userId = String(from?.id ?? message.chat.id);
  return {
    platform: "telegram",
    threadId: threadIdOf("telegram", String(message.chat.id), topicOf(message)),
    chatId: String(message.chat.id),
    messageId: String(message.message_id),
    userKey: userKeyOf("telegram", userId),
    userId,
    userName: from?.username ?? from?.first_name,
    chatKind,
    addressed,
    text: stripBotName(rawText, me.username),
    attachments,
    locale: localeFromTag(from?.language_code),
    replyTo: replyHandleOf(message, chatKind),
    updateKey: telegramUpdateKey(me.id, update.update_id),
    raw: update,
  };
}

/**
 * `messageToChatMessage` for an update whose fields may not have the types the Bot API documents (a
 * proxy, a replay, a bug upstream): when reading it fails, a private chat still gets an answer (an
 * empty message, which the router answers with what the bot takes); elsewhere it is ignored.
 */
export function readMessageUpdate(update: Update, message: Message, me: UserFromGetMe): TelegramMessage | undefined {
  try {
    return messageToChatMessage(update, message, me);
  } catch {
    const chat: unknown = message.chat;
    const chatId = typeof chat === "object" && chat !== null ? (chat as { id?: unknown }).id : undefined;
    const isPrivate = typeof chat === "object" && chat !== null && (chat as { type?: unknown }).type === "private";
    if (!isPrivate || (typeof chatId !== "number" && typeof chatId !== "string")) return undefined;
    const replyTo: ReplyHandle = { platform: "telegram", chatId: String(chatId), threadId: threadIdOf("telegram", String(chatId), ""), chatKind: "private", data: {} };
    return {
      platform: "telegram",
      threadId: replyTo.threadId,
      chatId: String(chatId),
      messageId: String(message.message_id),
      userKey: userKeyOf("telegram", String(chatId)),
      userId: String(chatId),
      userName: undefined,
      chatKind: "private",
      addressed: true,
      text: "",
      attachments: [],
      locale: "en",
      replyTo,
      updateKey: telegramUpdateKey(me.id, update.update_id),
      raw: update,
    };
  }
}

/** A press of one of our inline buttons; undefined for data that is not ours. */
export function callbackToChatMessage(update: Update, query: CallbackQuery, botId: number): TelegramMessage | undefined {
  const intent = intentOfCallback(typeof query.data === "string" ? query.data : undefined);
  const message = query.message;
  if (!intent || !message) return undefined;
  const chatKind = chatKindOf(message.chat.type);
  const userId = String(query.from.id);
  const replyTo = replyHandleOf(message, chatKind);
  // A press answers under the pressed message's thread, not as a reply to the bot's own message.
  delete replyTo.data?.replyToMessageId;
  return {
    platform: "telegram",
    threadId: replyTo.threadId,
    chatId: String(message.chat.id),
    messageId: String(message.message_id),
    userKey: userKeyOf("telegram", userId),
    userId,
    userName: query.from.username ?? query.from.first_name,
    chatKind,
    addressed: true,
    text: "",
    attachments: [],
    locale: localeFromTag(query.from.language_code),
    button: intent,
    // A press under a picture (the timeline) can swap that picture in place.
    ...("photo" in message && message.photo !== undefined ? { pressedPicture: { messageId: String(message.message_id) } } : {}),
    replyTo,
    updateKey: telegramUpdateKey(botId, update.update_id),
    raw: update,
  };
}

/**
 * The Bot API's service messages: something happened in the chat, nobody wrote to the bot. Any
 * other message, of a kind known today or added later, is something a person sent.
 */
const SERVICE_FIELDS = [
  "new_chat_members",
  "left_chat_member",
  "new_chat_title",
  "new_chat_photo",
  "delete_chat_photo",
  "group_chat_created",
  "supergroup_chat_created",
  "channel_chat_created",
  "message_auto_delete_timer_changed",
  "migrate_to_chat_id",
  "migrate_from_chat_id",
  "pinned_message",
  "successful_payment",
  "refunded_payment",
  "users_shared",
  "chat_shared",
  "gift",
  "unique_gift",
  "connected_website",
  "write_access_allowed",
  "passport_data",
  "proximity_alert_triggered",
  "boost_added",
  "chat_background_set",
  "checklist_tasks_done",
  "checklist_tasks_added",
  "direct_message_price_changed",
  "forum_topic_created",
  "forum_topic_edited",
  "forum_topic_closed",
  "forum_topic_reopened",
  "general_forum_topic_hidden",
  "general_forum_topic_unhidden",
  "giveaway_created",
  "giveaway_completed",
  "paid_message_price_changed",
  "suggested_post_approved",
  "suggested_post_approval_failed",
  "suggested_post_declined",
  "suggested_post_paid",
  "suggested_post_refunded",
  "video_chat_scheduled",
  "video_chat_started",
  "video_chat_ended",
  "video_chat_participants_invited",
  "web_app_data",
];

function isServiceMessage(message: Message): boolean {
  const fields = message as unknown as Record<string, unknown>;
  return SERVICE_FIELDS.some((field) => fields[field] !== undefined);
}

export function chatKindOf(type: string): ChatKind {
  return type === "private" ? "private" : "group";
}

function topicOf(message: Pick<Message, "is_topic_message" | "message_thread_id">): string {
  return message.is_topic_message && message.message_thread_id !== undefined ? String(message.message_thread_id) : "";
}

/**
 * Where answers go. In a group the bot replies to the user's message so the answer is findable
 * in a busy chat; in a private chat it just posts. A forum topic keeps its thread.
 */
function replyHandleOf(message: Pick<Message, "chat" | "message_id" | "is_topic_message" | "message_thread_id">, chatKind: ChatKind): ReplyHandle {
  const topic = topicOf(message);
  const data: NonNullable<ReplyHandle["data"]> = {};
  if (chatKind === "group") data.replyToMessageId = message.message_id;
  if (topic !== "") data.messageThreadId = Number(topic);
  return {
    platform: "telegram",
    chatId: String(message.chat.id),
    threadId: threadIdOf("telegram", String(message.chat.id), topic),
    chatKind,
    data,
  };
}

function isAddressed(text: string, entities: MessageEntity[], message: Message, me: UserFromGetMe): boolean {
  if (message.reply_to_message?.from?.id === me.id) return true;
  const username = me.username.toLowerCase();
  for (const entity of entities) {
    const piece = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === "bot_command" && entity.offset === 0) {
      // `/export@other_bot` is for another bot; a bare `/export` in a group is for every bot.
      const at = piece.indexOf("@");
      if (at === -1 || piece.slice(at + 1) === username) return true;
    }
    if (entity.type === "mention" && piece === `@${username}`) return true;
    if (entity.type === "text_mention" && entity.user.id === me.id) return true;
  }
  return false;
}

/** `/command@bot` and `@bot` for the bot's name. */
const namePatternsOf = forLastName((username) => {
  const escaped = escapeRegExp(username);
  return { command: new RegExp(`(^/[A-Za-z0-9_]+)@${escaped}\\b`, "i"), mention: new RegExp(`(^|\\s)@${escaped}\\b[,:]?`, "gi") };
});

/** Removes `@botname` (also from `/command@botname`) and the space it leaves. */
export function stripBotName(text: string, username: string): string {
  let rest = text;
  // Most texts name nobody: no "@", nothing to look for.
  if (rest.includes("@")) {
    const { command, mention } = namePatternsOf(username);
    rest = rest.replace(command, "$1").replace(mention, "$1");
  }
  return rest.replace(/[ \t]{2,}/g, " ").trim();
}

/** A field documented as a string, read as one only if it is (a payload can carry anything). */
function textOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Every file in a message; for a photo only the largest size (Telegram's last). */
export function attachmentsOf(message: Message): ChatAttachment[] {
  const out: ChatAttachment[] = [];
  const source = (fileId: string) => ({ type: "platform-file" as const, platform: "telegram" as const, fileId });
  // Telegram's own small picture of a video or photo: a few KB, so keeping one costs nothing like the file.
  const thumb = (size: { file_id: string; file_size?: number } | undefined) =>
    size && (size.file_size === undefined || size.file_size <= MAX_THUMBNAIL_BYTES) ? { thumbnail: source(size.file_id) } : {};
  if (message.photo && message.photo.length > 0) {
    const largest = message.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const smallest = message.photo.reduce((a, b) => (b.width * b.height < a.width * a.height ? b : a));
    out.push({
      id: largest.file_unique_id,
      name: `photo-${message.message_id}.jpg`,
      size: largest.file_size,
      mimeType: "image/jpeg",
      kind: "image",
      width: largest.width,
      height: largest.height,
      source: source(largest.file_id),
      ...thumb(smallest),
    });
  }
  // An animation message also carries a `document` copy of the same file: take the animation only.
  if (message.animation) {
    const a = message.animation;
    out.push({
      id: a.file_unique_id,
      name: textOf(a.file_name) ?? `animation-${message.message_id}.mp4`,
      size: a.file_size,
      mimeType: textOf(a.mime_type) ?? "video/mp4",
      kind: "animation",
      duration: a.duration,
      width: a.width,
      height: a.height,
      source: source(a.file_id),
      ...thumb(a.thumbnail),
    });
  } else if (message.document) {
    const d = message.document;
    out.push({
      id: d.file_unique_id,
      name: textOf(d.file_name) ?? `document-${message.message_id}`,
      size: d.file_size,
      mimeType: textOf(d.mime_type),
      kind: kindOfMime(textOf(d.mime_type), textOf(d.file_name)),
      source: source(d.file_id),
      ...thumb(d.thumbnail),
    });
  }
  if (message.video) {
    const v = message.video;
    out.push({
      id: v.file_unique_id,
      name: textOf(v.file_name) ?? withExtension(`video-${message.message_id}`, textOf(v.mime_type) ?? "video/mp4"),
      size: v.file_size,
      mimeType: textOf(v.mime_type) ?? "video/mp4",
      kind: "video",
      duration: v.duration,
      width: v.width,
      height: v.height,
      source: source(v.file_id),
      ...thumb(v.thumbnail),
    });
  }
  if (message.video_note) {
    const v = message.video_note;
    out.push({
      id: v.file_unique_id,
      name: `video-note-${message.message_id}.mp4`,
      size: v.file_size,
      mimeType: "video/mp4",
      kind: "video",
      duration: v.duration,
      width: v.length,
      height: v.length,
      source: source(v.file_id),
      ...thumb(v.thumbnail),
    });
  }
  if (message.audio) {
    const a = message.audio;
    out.push({
      id: a.file_unique_id,
      name: textOf(a.file_name) ?? withExtension(`audio-${message.message_id}`, textOf(a.mime_type)),
      size: a.file_size,
      mimeType: textOf(a.mime_type),
      kind: "audio",
      duration: a.duration,
      source: source(a.file_id),
    });
  }
  if (message.voice) {
    const v = message.voice;
    out.push({
      id: v.file_unique_id,
      name: `voice-${message.message_id}.ogg`,
      size: v.file_size,
      mimeType: textOf(v.mime_type) ?? "audio/ogg",
      kind: "audio",
      duration: v.duration,
      source: source(v.file_id),
    });
  }
  return out;
}

function kindOfMime(mime: string | undefined, name: string | undefined): ChatAttachment["kind"] {
  const type = mime?.split("/")[0];
  if (type === "video") return "video";
  if (type === "image") return "image";
  if (type === "audio") return "audio";
  const ext = name?.split(".").pop()?.toLowerCase();
  if (ext && ["mp4", "mov", "avi", "webm", "mkv"].includes(ext)) return "video";
  if (ext && ["jpg", "jpeg", "png", "gif", "webp"].includes(ext)) return "image";
  if (ext && ["mp3", "wav", "m4a", "aac"].includes(ext)) return "audio";
  return "document";
}

/** A thumbnail bigger than this is no thumbnail worth fetching. */
const MAX_THUMBNAIL_BYTES = 512 * 1024;

const MIME_EXTENSIONS: Record<string, string> = {
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/x-msvideo": "avi",
  "video/webm": "webm",
  "video/x-matroska": "mkv",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
  "audio/aac": "aac",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/ogg": "ogg",
};

/** A name for a file Telegram sent without one; no extension when the type is unknown, so the MIME type decides. */
function withExtension(stem: string, mime: string | undefined): string {
  const ext = mime ? MIME_EXTENSIONS[mime.toLowerCase()] : undefined;
  return ext ? `${stem}.${ext}` : stem;
}
