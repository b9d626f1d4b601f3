import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import type { Attachment, ButtonIntent, ChatAttachment, ChatMessage, Locale } from "../../src/chat/message.js";
import { threadIdOf, userKeyOf } from "../../src/chat/message.js";

export const TERMINAL_CHAT_ID = "local";

const KIND_BY_EXTENSION: Record<string, Attachment["kind"]> = {
  ".mp4": "video", ".mov": "video", ".avi": "video", ".webm": "video", ".mkv": "video",
  ".jpg": "image", ".jpeg": "image", ".png": "image", ".webp": "image",
  ".gif": "animation",
  ".mp3": "audio", ".wav": "audio", ".m4a": "audio", ".aac": "audio",
};

const BUTTON_WORDS: Record<string, ButtonIntent> = { export: "export", timeline: "timeline", credits: "credits", "timeline-refresh": "timeline-refresh" };

export interface TerminalUser {
  userId: string;
  userName: string;
  locale: Locale;
}

export type ParsedLine =
  | { type: "message"; message: ChatMessage<string> }
  | { type: "missing-file"; path: string }
  | { type: "quit" }
  | { type: "blank" };

/** A typed line → a ChatMessage. `/upload <path> [caption]` attaches a local file. */
export function parseTerminalLine(line: string, user: TerminalUser, messageId: number): ParsedLine {
  const text = line.trim();
  if (text === "") return { type: "blank" };
  if (text === "/quit" || text === "/exit") return { type: "quit" };
  const base: Omit<ChatMessage<string>, "text" | "attachments"> = {
    platform: "terminal",
    threadId: threadIdOf("terminal", TERMINAL_CHAT_ID),
    chatId: TERMINAL_CHAT_ID,
    messageId: String(messageId),
    userKey: userKeyOf("terminal", user.userId),
    userId: user.userId,
    userName: user.userName,
    chatKind: "private",
    addressed: true,
    locale: user.locale,
    replyTo: { platform: "terminal", chatId: TERMINAL_CHAT_ID, threadId: threadIdOf("terminal", TERMINAL_CHAT_ID), chatKind: "private" },
    raw: line,
  };
  const upload = /^\/upload(?:\s(.*))?$/s.exec(text);
  if (upload) {
    const rest = (upload[1] ?? "").trim();
    const split = splitPathAndCaption(rest);
    if (!split) return { type: "missing-file", path: rest };
    return { type: "message", message: { ...base, text: split.caption, attachments: [localAttachment(split.path)] } };
  }
  const button = BUTTON_WORDS[text.toLowerCase()];
  return { type: "message", message: { ...base, text, attachments: [], ...(button ? { button } : {}) } };
}

/** The whole argument if it names a file (paths may hold spaces), else the first word and a caption. */
function splitPathAndCaption(rest: string): { path: string; caption: string } | undefined {
  if (rest === "") return undefined;
  if (isFile(rest)) return { path: rest, caption: "" };
  const match = /^(\S+)\s(.*)$/s.exec(rest);
  if (match?.[1] && isFile(match[1])) return { path: match[1], caption: (match[2] ?? "").trim() };
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function localAttachment(path: string): ChatAttachment {
  const absolute = resolve(path);
  const stat = statSync(absolute);
  const extension = extname(absolute).toLowerCase();
  return {
    // The same file, unchanged, is the same attachment: a retried upload is recognized.
    id: createHash("sha1").update(`${absolute}:${stat.size}:${stat.mtimeMs}`).digest("hex").slice(0, 16),
    name: basename(absolute),
    size: stat.size,
    mimeType: undefined,
    kind: KIND_BY_EXTENSION[extension] ?? "document",
    source: { type: "local-path", path: absolute },
  };
}
