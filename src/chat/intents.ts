import type { ButtonIntent, ChatKind } from "./message.js";
import { escapeRegExp, forLastName } from "../text/name-pattern.js";

/**
 * What a message asks for, decided from its text, attachments and button alone (no I/O), so the
 * router's table and its tests stay simple. The seeds' keyword table (export / credits / status /
 * upload, in English and Chinese) is a fast path only when the message IS that request: "export
 * 1080p mp4" exports, "add the credits at the end" is an edit.
 */

export const COMMANDS = ["start", "help", "new", "credits", "status", "timeline", "export", "cancel", "token", "lang"] as const;
export type Command = (typeof COMMANDS)[number];

export type Intent =
  | { kind: "command"; command: Command; args: string }
  /** A slash command we do not know (answered with help, never sent to the editor). */
  | { kind: "unknown-command"; name: string }
  | { kind: "credits" }
  /** `refresh`: the press of Refresh under a timeline picture, which may redraw that picture in place. */
  | { kind: "timeline"; refresh?: boolean }
  | { kind: "export" }
  | { kind: "upload"; caption?: string }
  /** "upload" / "上传" with no file: tell them how. */
  | { kind: "upload-hint" }
  | { kind: "turn"; text: string; exportAfter: boolean }
  | { kind: "empty" }
  /** Longer than any request needs (and than a Telegram message): answered, never sent to the editor. */
  | { kind: "too-long"; max: number }
  /** A command for another bot in the group: not ours to answer. */
  | { kind: "not-for-us" };

export interface ClassifiableMessage {
  text: string;
  attachments: readonly unknown[];
  button?: ButtonIntent;
  chatKind: ChatKind;
}

const BUTTON_INTENTS: Record<ButtonIntent, Intent> = {
  export: { kind: "export" },
  timeline: { kind: "timeline" },
  credits: { kind: "credits" },
  "timeline-refresh": { kind: "timeline", refresh: true },
};

/** A request or caption longer than this is refused (Telegram's own message limit). */
export const MAX_TEXT_LENGTH = 4096;
/**
 * Controls (but tab and line breaks), format characters (zero-width spaces, direction marks and
 * overrides, the BOM) and the blank "letters" some apps use as filler: nothing anyone means to say.
 * The zero-width joiner and non-joiner stay: emoji sequences and several scripts need them.
 */
const INVISIBLE = /[^\P{Cc}\t\n\r]|[^\P{Cf}\u200C\u200D]|[\u115F\u1160\u3164\uFFA0\u2800]/gu;
const JOINERS = /[\u200C\u200D]/g;

/** The text without invisible characters. */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, "");
}

function codePointLength(text: string, atMost: number): number {
  // UTF-16 length is an upper bound; count code points only when it could matter.
  if (text.length <= atMost) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function classify(message: ClassifiableMessage, botUsername?: string): Intent {
  if (message.button) return BUTTON_INTENTS[message.button];
  const text = stripMentions(visibleText(message.text), botUsername).trim();
  // Joiners alone are as empty as nothing at all.
  const empty = text.replace(JOINERS, "").trim() === "";

  const tooLong = !empty && codePointLength(text, MAX_TEXT_LENGTH) > MAX_TEXT_LENGTH;

  if (message.attachments.length > 0) {
    if (tooLong) return { kind: "too-long", max: MAX_TEXT_LENGTH };
    return empty ? { kind: "upload" } : { kind: "upload", caption: text };
  }
  if (empty) return { kind: "empty" };

  // A command's arguments are its handler's to judge (/token answers a huge value in its own words).
  const command = parseCommand(text, botUsername);
  if (command && command.kind !== "unknown-command") return command;
  if (tooLong) return { kind: "too-long", max: MAX_TEXT_LENGTH };
  if (command) return command;

  // Normalized once for both readings of it (a quick request, else an edit that may ask for the video).
  const normalized = normalizeUtterance(text);
  const fast = fastPath(normalized);
  if (fast) return fast;
  return { kind: "turn", text, exportAfter: asksForExport(normalized) };
}

/** `/export`, `/export@MyBot 1080p`; a command for another bot in a group is not ours. */
const COMMAND = /^[/／]([A-Za-z_]+)(?:@([A-Za-z0-9_]+))?(?:\s([\s\S]*))?$/;

function parseCommand(text: string, botUsername: string | undefined): Intent | undefined {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  const name = (match[1] ?? "").toLowerCase();
  const target = match[2];
  if (target && botUsername && target.toLowerCase() !== botUsername.replace(/^@/, "").toLowerCase()) {
    return { kind: "not-for-us" };
  }
  const args = (match[3] ?? "").trim();
  if ((COMMANDS as readonly string[]).includes(name)) return { kind: "command", command: name as Command, args };
  return { kind: "unknown-command", name };
}

/** The bot's mention, not after "/command": that suffix is parsed (and checked) by parseCommand. */
const mentionPattern = forLastName((botUsername) => new RegExp(`(^|[^A-Za-z0-9_/])@${escapeRegExp(botUsername.replace(/^@/, ""))}\\b`, "gi"));

/** Removes `@botname` wherever it stands (adapters usually do, but a forwarded text may keep it). */
function stripMentions(text: string, botUsername: string | undefined): string {
  if (!botUsername) return text;
  return text.replace(mentionPattern(botUsername), "$1").replace(/\s{2,}/g, " ");
}

/**
 * Lower case, full-width folded to ASCII, apostrophes dropped ("what's" → "whats"), every other
 * punctuation mark and emoji turned into a space.
 */
export function normalizeUtterance(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(APOSTROPHES, "").replace(BETWEEN_WORDS, " ").trim();
}

const APOSTROPHES = /['’`]/g;
/**
 * Every run of what is neither a letter nor a digit (spaces, punctuation, emoji), as one space: a
 * lone space is left as it is, rather than replaced by itself (most of a request's matches).
 */
const BETWEEN_WORDS = /[^\p{L}\p{N}]{2,}|[^\p{L}\p{N} ]/gu;

interface FastPath {
  intent: Intent;
  /** What must remain once the filler is gone (normalized English words, or Chinese text). */
  cores: string[];
  /** English words that may stand with the core without changing the request ("1080p", "mp4"). */
  extras: ReadonlySet<string>;
  /** The same for Chinese, removed as text. */
  zhExtras?: RegExp;
}

/** Politeness and pointing words that never turn a keyword into an edit. */
const FILLER_WORDS = new Set([
  "please", "pls", "plz", "now", "can", "could", "would", "will", "you", "u", "me", "my", "the", "a", "an", "it",
  "this", "that", "for", "i", "want", "to", "ok", "okay", "hey", "hi", "hello", "just", "go", "ahead", "thanks",
  "thank", "whats", "what", "is", "are", "do", "have", "check", "show", "current", "again", "yes", "lets", "us",
  "bot", "our",
]);

const FAST_PATHS: FastPath[] = [
  {
    intent: { kind: "export" },
    cores: ["export", "download", "render", "send", "give", "导出", "下载", "发", "输出"],
    extras: new Set([
      "video", "clip", "final", "result", "file", "mp4", "1080p", "720p", "4k", "hd", "1080", "720", "in", "as", "at",
      "high", "quality", "full", "finished", "over",
    ]),
    zhExtras: /视频|成片|文件|高清|1080p|720p|4k|mp4|hd/g,
  },
  {
    intent: { kind: "credits" },
    cores: ["credits", "credit", "balance", "credits balance", "credit balance", "积分", "余额", "积分余额", "额度"],
    extras: new Set(["how", "many", "much", "left", "remaining", "of", "account", "see", "get", "my"]),
    zhExtras: /剩下|剩|查|账户|账号/g,
  },
  {
    intent: { kind: "timeline" },
    cores: ["status", "tracks", "timeline", "状态", "时间线", "轨道", "进度"],
    extras: new Set(["of", "see", "project", "draft", "the"]),
    zhExtras: /项目|当前|草稿|查/g,
  },
  {
    intent: { kind: "upload-hint" },
    cores: ["upload", "上传"],
    extras: new Set(["video", "clip", "file", "files", "how", "some", "footage", "photo", "image", "where", "i"]),
    zhExtras: /视频|文件|素材|图片|怎么|如何/g,
  },
  {
    intent: { kind: "command", command: "help", args: "" },
    cores: ["help", "帮助", "怎么用"],
    extras: new Set(["how", "does", "work", "need"]),
  },
  { intent: { kind: "command", command: "cancel", args: "" }, cores: ["cancel", "取消"], extras: new Set(["export", "job"]), zhExtras: /导出|任务/g },
];

/** Chinese politeness and pointing, removed as text (Chinese has no spaces between words). */
const CHINESE_FILLER = /请|帮我|帮忙|麻烦|给我|一下|现在|我的|我们的|这个|查询|查看|看看|显示|还有|多少|吧|呢|吗|啊|了|的|把|要|想|我/g;
const HAN = /\p{Script=Han}/u;

/** `normalized`: the message's text through normalizeUtterance. */
function fastPath(normalized: string): Intent | undefined {
  if (normalized === "" || normalized.length > 48) return undefined;
  const chinese = HAN.test(normalized);
  // The filler goes once for every path; each path then drops its own extras.
  const words = normalized.split(" ").filter((w) => !FILLER_WORDS.has(w));
  for (const path of FAST_PATHS) {
    if (chinese ? matchesChinese(words.filter((w) => !path.extras.has(w)), path) : matchesEnglish(words, path)) return path.intent;
  }
  return undefined;
}

/** The most words a core has ("credit balance"): more words left than that match none. */
const MAX_CORE_WORDS = Math.max(...FAST_PATHS.flatMap((path) => path.cores.map((core) => core.split(" ").length)));

/** `words`: the text's words but filler. Most requests have words no path takes: they are told from those without building anything. */
function matchesEnglish(words: string[], path: FastPath): boolean {
  let rest = "";
  let count = 0;
  for (const word of words) {
    if (path.extras.has(word)) continue;
    if (++count > MAX_CORE_WORDS) return false;
    rest = count === 1 ? word : `${rest} ${word}`;
  }
  return path.cores.includes(rest);
}

/** `words`: the text's words but filler and the path's extras. */
function matchesChinese(words: string[], path: FastPath): boolean {
  let rest = words.join("").replace(CHINESE_FILLER, "");
  if (path.zhExtras) rest = rest.replace(path.zhExtras, "");
  return path.cores.includes(rest);
}

/** An edit request that also asks for the video ("…and export as a 60-second reel"); `normalized` as for fastPath. */
function asksForExport(normalized: string): boolean {
  const asks =
    /\bexport(?:ed|ing)?\b/.test(normalized) ||
    /\bsend (?:me )?(?:the |my )?(?:final )?video\b/.test(normalized) ||
    /导出|输出视频/.test(normalized);
  if (!asks) return false;
  const notYet =
    /\b(?:dont|do not|not|never|without|before|no)\s+(?:\w+\s+)?export/.test(normalized) ||
    /(?:不要|别|不用|先别|暂时不|不)导出|导出之?前/.test(normalized);
  return !notYet;
}
