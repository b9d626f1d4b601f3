import type { Locale } from "./message.js";
import { messages, type Messages } from "../i18n/index.js";
import { scrubText } from "../secrets.js";
import { trailingWhitespace, trimEndOf, trimStartOf } from "../text/trim.js";

/**
 * NemoVideo's backend talks as if its web editor were open ("click the Export button", "open the
 * text panel", "drag the clip on the timeline"). In a chat there is no editor: the bot does those
 * things itself. This rewrites such sentences to what the bot will do, names the actions the caller
 * should run, and strips what must never reach a chat (raw JSON, anything that looks like a token).
 */

export type GuiAction = "export" | "show-state" | "show-timeline";

export interface TranslatedText {
  text: string;
  /** In the order the text asked for them, each once. */
  actions: GuiAction[];
}

/**
 * Longer text is cut: a chat message is at most a few thousand characters anyway. Every pattern below
 * is also linear in its input (lint: regexp/no-super-linear-*), so this bound is a second line.
 */
export const MAX_INPUT = 16_000;
const HIDDEN = "•••";

// --- secrets and raw JSON ---

/** A URL (left as the shared list made it) or a long word, to be judged by `looksRandom`. */
const URL_OR_WORD = /https?:\/\/[^\s"'<>]+|[\w-]{32,}/gi;

/**
 * A long random-looking word is treated as a credential: one stretch of 20+ characters mixing
 * letters and digits. "my_summer_trip_2024_final_v3" is words joined by underscores, and stays.
 */
function looksRandom(word: string): boolean {
  return word.split(/[-_]/).some((part) => part.length >= 20 && /\d/.test(part) && /[A-Za-z]/.test(part));
}

/** Secrets (the shared list) and, in chat text only, anything that looks random enough to be one. */
export function redactSecrets(text: string): string {
  return scrubText(text, HIDDEN).replace(URL_OR_WORD, (match) => (!/^https?:/i.test(match) && looksRandom(match) ? HIDDEN : match));
}

/** Does a bracketed span look like data rather than words ("[Export]" is words)? */
function isJsonLike(span: string): boolean {
  try {
    const value: unknown = JSON.parse(span);
    if (Array.isArray(value)) return value.length > 0 && value.every((v) => typeof v === "object" && v !== null);
    return typeof value === "object" && value !== null && Object.keys(value).length > 0;
  } catch {
    // Older backends interpolate text unescaped: broken JSON that still has keys is still data.
    return /"[^"\n]{1,60}"\s*:/.test(span);
  }
}

/**
 * Removes fenced code blocks holding JSON and every top-level {…} or [{…}] that is data. One pass with
 * a stack, so unbalanced braces in a long text cost nothing extra.
 */
export function stripJsonBlobs(text: string): string {
  const out = stripJsonFences(text);
  const spans: Array<[number, number]> = [];
  const stack: string[] = [];
  let start = -1;
  let inString = false;
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (inString) {
      if (c === "\\") i++;
      // A quote left open at the end of a line was prose, not a JSON string.
      else if (c === '"' || c === "\n") inString = false;
      continue;
    }
    if (c === "{" || c === "[") {
      if (stack.length === 0) start = i;
      stack.push(c === "{" ? "}" : "]");
    } else if ((c === "}" || c === "]") && stack.length > 0) {
      if (stack[stack.length - 1] !== c) {
        stack.length = 0; // mismatched: not data
        continue;
      }
      stack.pop();
      if (stack.length === 0) spans.push([start, i + 1]);
    } else if (c === '"' && stack.length > 0) {
      inString = true;
    }
  }
  // The text between the blobs, joined in one pass (cutting one blob at a time copies the text once per blob).
  const pieces: string[] = [];
  let cursor = 0;
  for (const [from, to] of spans) {
    if (!isJsonLike(out.slice(from, to))) continue;
    pieces.push(out.slice(cursor, from));
    cursor = to;
  }
  if (pieces.length === 0) return out;
  pieces.push(out.slice(cursor));
  let joined = trimEndOf(pieces[0] ?? "", " \t");
  for (let k = 1; k < pieces.length; k++) {
    // Where a blob was: the blanks on both sides go, and one space stays between words.
    const after = trimStartOf(k === pieces.length - 1 ? (pieces[k] ?? "") : trimEndOf(pieces[k] ?? "", " \t"), " \t");
    const gap = joined !== "" && after !== "" && !/^[\n.,;:!?，。；：！？)]/.test(after) && !joined.endsWith("\n");
    joined += (gap ? " " : "") + after;
  }
  return joined;
}

/** Removes fenced code blocks whose body is JSON (```json {…}```), by position rather than a lazy regex. */
function stripJsonFences(text: string): string {
  let out = "";
  let from = 0;
  for (;;) {
    const open = text.indexOf("```", from);
    if (open === -1) break;
    const close = text.indexOf("```", open + 3);
    if (close === -1) break;
    const isJson = /^[a-zA-Z]*\s*[{[]/.test(text.slice(open + 3, close));
    out += text.slice(from, open) + (isJson ? "" : text.slice(open, close + 3));
    from = close + 3;
  }
  return from === 0 ? text : out + text.slice(from);
}

// --- GUI sentences ---

const CJK = /[\u3400-\u9fff]/;
/** Markdown and quotes are noise when matching ("**Export**", "「导出」"). */
const NOISE = /[*_`"“”‘’「」『』【】[\]<>]/g;

/** An explicit "click Export" is an instruction unless it is negated ("don't click Export yet"). */
const NEGATED_EN = /\b(don't|do not|no need to|not yet|never|before you|without)\b/i;
const NEGATED_ZH = /不要|别|无需|不用|先不|暂时不|不必/;
/** "The Export button" alone may be a mention of something past ("the Export button was greyed out"). */
const PAST_EN = /\b(exported|already|earlier|previously|last time|was|were|had|has been|have been|did|clicked|pressed|tapped|used)\b/i;
const PAST_ZH = /已经?导出|导出(了|完成|成功|失败)|之前|上次|刚才|已点击/;

const EXPORT_CLICK_EN = /\b(click|tap|press|hit|select|choose)\b(\s+on)?[^.!?\n]{1,40}?\b(export|download)\b/i;
const EXPORT_BUTTON_EN = /\b(export|download)\s+(button|icon|option)\b/i;
const EXPORT_CLICK_ZH = /(点击|单击|点一下|轻点|按下|点选)[^。！？\n]{0,12}?(导出|下载)/;
const EXPORT_BUTTON_ZH = /(导出|下载)(按钮|键|选项)/;
/**
 * "When you're happy, click Export" is a suggestion, not an instruction: the user may still want
 * changes, so the bot points at its Export button instead of rendering after every edit.
 */
const CONDITIONAL_EN = /\b(when|once|if|whenever|as soon as)\b|^\W*or\b/i;
const CONDITIONAL_ZH = /如果|满意|的话|等你|准备好|确认无误|觉得可以|^\W*或者/;

const PREVIEW_EN =
  /\bpreview\b[^.!?\n]{1,30}\b(timeline|track)|\b(check|see|view|look at|review|watch)\b[^.!?\n]{1,25}\b(in|on) the timeline\b|\btimeline preview\b/i;
const PREVIEW_ZH = /时间(线|轴)[^。！？\n]{0,6}(预览|查看)|(预览|查看)[^。！？\n]{0,6}时间(线|轴)/;

const PANEL_EN =
  /\b(open|go to|navigate to|switch to|head to|expand)\b[^.!?\n]{1,30}?\b(panel|tab|menu|sidebar|inspector|settings|library|properties|toolbar|drawer)\b/i;
const PANEL_ZH = /(打开|进入|切换到|展开)[^。！？\n]{0,12}?(面板|窗口|菜单|设置|素材库|属性|标签页|侧边栏|工具栏)/;

const DRAG_EN =
  /\bdrag(ging|ged)?\b|\bdrag-and-drop\b|\bdrop\b[^.!?\n]{1,30}\b(onto|into|on|to|in)\b[^.!?\n]{1,20}\b(timeline|track|canvas|editor|area|zone|box|window)\b/i;
const DRAG_ZH = /拖拽|拖动|拖放|拖到|拖入|拖进/;
const UPLOAD_CONTEXT = /\b(upload\w*|files?|here|media library)\b|上传|文件|这里|此处|素材库/i;

const CLICK_EN = /\b(click|tap|press)(?:\s+on)?(?:\s+the)?\s+(.{0,40})/i;
const CLICK_ZH = /(点击|单击|点一下|轻点|按下)\s*(.{0,16})/;

/** The button's name from what follows "click", when it is plain: "Apply", "Add Text", "应用". */
function buttonName(after: string, zh: boolean): string | undefined {
  if (zh) {
    const rest = after.replace(/^[“「【["']/, "");
    const end = rest.search(/[”」】\]"'\s，。！？、,.!?：:]|按钮|图标|选项|即可|就|来|以/);
    let name = (end === -1 ? rest : rest.slice(0, end)).slice(0, 12);
    // "右上角的分享" names the place and the button: the button is what follows the last 的.
    name = name.slice(name.lastIndexOf("的") + 1);
    return name === "" ? undefined : name;
  }
  const quoted = /^["“'[]([^"”'\]]{1,24})["”'\]]/.exec(after)?.[1];
  if (quoted !== undefined) return quoted.trim();
  const named = /^([a-z][a-z0-9 ]{0,24}?)\s+(button|icon|option|tab|link)\b/i.exec(after)?.[1];
  if (named !== undefined) return named.trim();
  // Capitalised words right after "click" are a button's label in the editor's own words.
  return /^([A-Z][A-Za-z0-9]*(?:\s+[A-Z][A-Za-z0-9]*){0,2})\b/.exec(after)?.[1];
}

interface SentenceResult {
  /** The sentence unchanged, or the clauses kept in front of a rewrite. */
  kept: string;
  /** What the editor talk became, when there was any. */
  rewrite?: string;
  action?: GuiAction;
}

interface Rewrite {
  text: string;
  action?: GuiAction;
  /** What found the editor talk, to tell which clause of the sentence it is in. */
  triggers: RegExp[];
}

/** Clauses: "Your video is ready, click Export" keeps "Your video is ready," and rewrites the rest. */
const CLAUSE_END = /(?<=[,;:，；：—])\s*/;
/** A clause that only sets a condition for the instruction after it goes with the instruction. */
const CONDITION = /^\s*(when|once|if|after|as soon as|whenever|then|now|finally|just|simply|also|and|so)\b|^\s*(当|如果|等|满意|确认|然后|最后|现在|只需|接着)/i;

function findRewrite(sentence: string, plain: string, zh: boolean, m: Messages): Rewrite | "keep" | undefined {
  const negated = zh ? NEGATED_ZH.test(plain) : NEGATED_EN.test(plain);
  const past = zh ? PAST_ZH.test(plain) : PAST_EN.test(plain);
  const exportClick = zh ? EXPORT_CLICK_ZH : EXPORT_CLICK_EN;
  const exportButton = zh ? EXPORT_BUTTON_ZH : EXPORT_BUTTON_EN;
  const clicks = exportClick.test(plain);
  const button = exportButton.test(plain);
  if (!negated && (clicks || (button && !past))) {
    const conditional = zh ? CONDITIONAL_ZH.test(plain) : CONDITIONAL_EN.test(plain);
    if (conditional) return { text: m.guiExportWhenReady, triggers: [exportClick, exportButton] };
    return { text: m.guiExportNow, action: "export", triggers: [exportClick, exportButton] };
  }
  // A past or negated mention of exporting is plain information: it stays as it was.
  if (clicks || button) return "keep";

  const preview = zh ? PREVIEW_ZH : PREVIEW_EN;
  if (preview.test(plain)) return { text: m.guiShowTimeline, action: "show-timeline", triggers: [preview] };
  const panel = zh ? PANEL_ZH : PANEL_EN;
  if (panel.test(plain)) return { text: m.guiShowState, action: "show-state", triggers: [panel] };
  const drag = zh ? DRAG_ZH : DRAG_EN;
  if (drag.test(plain)) return { text: UPLOAD_CONTEXT.test(plain) ? m.guiDragUpload : m.guiDragEdit, triggers: [drag] };

  const clickPattern = zh ? CLICK_ZH : CLICK_EN;
  const click = clickPattern.exec(sentence.replace(/[*_`]/g, ""));
  if (!click) return undefined;
  const after = click[2] ?? "";
  if (/\bupload|上传|add media|添加素材/i.test(after)) return { text: m.guiDragUpload, triggers: [clickPattern] };
  const name = buttonName(after, zh);
  return { text: name ? m.guiClickNamed({ name }) : m.guiClickGeneric, triggers: [clickPattern] };
}

function translateSentence(sentence: string, fallback: Locale): SentenceResult {
  const plain = sentence.replace(NOISE, "");
  const zh = CJK.test(plain);
  const hasLatin = /[A-Za-z]{2,}/.test(plain);
  // Rewrite in the sentence's own language, so a reply never switches language mid-paragraph.
  const m = messages(zh ? "zh-CN" : hasLatin ? "en" : fallback);
  const rewrite = findRewrite(sentence, plain, zh, m);
  if (rewrite === undefined || rewrite === "keep") return { kept: sentence };

  // Keep the clauses before the editor talk ("Your video is ready,"), minus a condition that
  // only led up to it ("When you're happy,").
  const clauses = sentence.split(CLAUSE_END);
  const at = clauses.findIndex((c) => rewrite.triggers.some((t) => t.test(c.replace(NOISE, ""))));
  const kept = at > 0 ? clauses.slice(0, at) : [];
  while (kept.length > 0 && CONDITION.test(kept[kept.length - 1] ?? "")) kept.pop();
  let prefix = kept.join("").trimEnd();
  if (prefix !== "" && !zh) prefix += " ";
  const result: SentenceResult = { kept: prefix, rewrite: rewrite.text };
  if (rewrite.action !== undefined) result.action = rewrite.action;
  return result;
}

/** "1. ", "- ", "• ": kept in front of a rewritten sentence so lists stay lists. */
const LIST_MARKER = /^(\s*(?:[-*•]|\d{1,3}[.)])\s+)/;
/**
 * A sentence ends at . ! ? followed by a space (so "2.5s" and "nemovideo.ai" stay whole), or at a
 * Chinese full stop, which needs no space. Each piece keeps its trailing spaces.
 */
const SENTENCE_END = /[.!?]["'”’)]*\s+(?=\S)|[。！？][”’」)]*(?=\S)/g;

/** Split at the end of each match (a lookbehind split retries the run of blanks from every position). */
function splitSentences(line: string): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (const end of line.matchAll(SENTENCE_END)) {
    const at = end.index + end[0].length;
    pieces.push(line.slice(from, at));
    from = at;
  }
  pieces.push(line.slice(from));
  return pieces.filter((p) => p !== "");
}

/**
 * Rewrites the backend's editor talk for the chat and returns the actions the bot should run.
 * `locale` is the chat's language, used when a sentence's own language cannot be told.
 */
export function translateBackendText(text: string, locale: Locale): TranslatedText {
  const clean = redactSecrets(stripJsonBlobs(text.slice(0, MAX_INPUT)));
  const actions: GuiAction[] = [];
  const seenRewrites = new Set<string>();
  const lines: string[] = [];
  for (const line of clean.split("\n")) {
    const marker = LIST_MARKER.exec(line)?.[1] ?? "";
    const body = line.slice(marker.length);
    const out: string[] = [];
    for (const sentence of splitSentences(body)) {
      const trailing = trailingWhitespace(sentence);
      const result = translateSentence(sentence.trimEnd(), locale);
      if (result.action !== undefined && !actions.includes(result.action)) actions.push(result.action);
      if (result.rewrite === undefined) {
        out.push(sentence);
        continue;
      }
      // One rewrite says it once: two "click Export" sentences become one "I'll export it now."
      const repeated = seenRewrites.has(result.rewrite);
      seenRewrites.add(result.rewrite);
      const text = repeated
        ? result.kept.trimEnd().replace(/[,;:—]$/, ".").replace(/[，；：]$/, "。")
        : result.kept + result.rewrite;
      if (text === "") continue;
      out.push(text + (trailing || (CJK.test(text) ? "" : " ")));
    }
    const joined = out.join("").trimEnd();
    if (joined !== "" || line.trim() === "") lines.push(joined === "" ? "" : marker + joined);
  }
  const result = lines
    .map((line) => trimEndOf(line, " \t"))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { text: result, actions };
}
