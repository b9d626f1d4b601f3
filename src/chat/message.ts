import type { Readable } from "node:stream";

export type Platform = "telegram" | "discord" | "terminal";
export type ChatKind = "private" | "group";
/** A language the bot speaks; anything else falls back to English. */
export type Locale = "en" | "zh-CN";

/** A file the user sent. Fetching it is the adapter's business: a Telegram file URL holds the bot token. */
export interface Attachment {
  /** The platform's id for the file, stable across retries (used to upload a file only once). */
  id: string;
  name: string;
  /** Bytes, when the platform says. */
  size: number | undefined;
  /** MIME type, when the platform says. */
  mimeType: string | undefined;
  kind: "video" | "image" | "audio" | "animation" | "document";
  /** Duration in seconds and dimensions, when the platform says. */
  duration?: number;
  width?: number;
  height?: number;
}

/**
 * Where the bytes of an attachment come from, in a form that can sit in a job's data: a public URL
 * that may be handed to NemoVideo as-is (Discord's signed CDN links), or a reference only the
 * adapter can turn into a stream (a Telegram file id; a local path in the terminal chat).
 */
export type AttachmentSource =
  | { type: "public-url"; url: string }
  | { type: "platform-file"; platform: Platform; fileId: string }
  | { type: "local-path"; path: string };

export interface ChatAttachment extends Attachment {
  source: AttachmentSource;
  /** A small picture of it the platform already has (Telegram's thumbnail), kept for the timeline picture. */
  thumbnail?: AttachmentSource;
}

/** Opens the bytes of an attachment source; each adapter registers one (see src/chat/files.ts). */
export type AttachmentOpener = (source: AttachmentSource, signal?: AbortSignal) => Promise<Readable>;

/** Everything a platform update means to the bot, whatever the platform. */
export interface ChatMessage<Raw = unknown> {
  platform: Platform;
  /** `platform:chat:thread` (thread empty when there is none). */
  threadId: string;
  chatId: string;
  /** The platform's id of this message (to delete a message that held a token). */
  messageId: string;
  /** `platform:userId`: the key of everything kept per user. */
  userKey: string;
  userId: string;
  userName: string | undefined;
  chatKind: ChatKind;
  /** In a group: was the bot mentioned, replied to, or sent a command? Always true in private. */
  addressed: boolean;
  /** The text or caption, with the bot's @name removed. */
  text: string;
  attachments: ChatAttachment[];
  /** The platform's language for this user, mapped to one we speak. */
  locale: Locale;
  /** A button the user pressed, when this message is a press. */
  button?: ButtonIntent;
  /** For a press: the bot's picture message that carried the button, which the answer may replace in place. */
  pressedPicture?: { messageId: string };
  /** How to answer this very message (an adapter-specific handle that survives a job's JSON). */
  replyTo: ReplyHandle;
  /**
   * The platform's identity of the update that carried this message (Telegram: bot id + update id,
   * an album by its media group; Discord: the message or interaction id). The router drops an
   * update marked handled, queues its items in the same step that records them, and marks it
   * handled once answered (src/chat/update-claims.ts), so a re-delivered update is handled once.
   * Absent where the platform cannot deliver twice (the terminal).
   */
  updateKey?: string;
  /** The platform's own update, kept aside as an escape hatch; never put into job data. */
  raw: Raw;
}

/** The intents that quick-action buttons carry; "timeline-refresh" redraws the timeline picture it sits under. */
export type ButtonIntent = "export" | "timeline" | "credits" | "timeline-refresh";

/**
 * Where to post: serializable so a worker in another process can answer. Adapters put what they
 * need in `data` (a Discord interaction token and its expiry, a Telegram message id to reply to).
 */
export interface ReplyHandle {
  platform: Platform;
  chatId: string;
  threadId: string;
  chatKind: ChatKind;
  data?: Record<string, string | number | boolean | undefined>;
}

export function threadIdOf(platform: Platform, chatId: string, thread = ""): string {
  return `${platform}:${chatId}:${thread}`;
}

export function userKeyOf(platform: Platform, userId: string): string {
  return `${platform}:${userId}`;
}
