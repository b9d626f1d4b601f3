import type { Fit, Ratio } from "./draft.js";
import { extractCaptions, extractTitle } from "./understand-text.js";

/**
 * The requests the emulated agent understands, in English and Chinese phrasing. A message is cut
 * into clauses ("put them together, add the title Beach Day and calm music at 30%"); each clause
 * either gives intents or, when it asks for something none of them covers, comes back as a leftover
 * so the answer can say plainly what was not done.
 */

/** A clip by its place on the timeline: 1-based, or the last one. */
export type ClipRef = number | "last";

export type Intent =
  | { type: "trim"; seconds: number }
  /** One clip's own cut: a length from where it starts, or a span of its source; no clip = the only one. */
  | { type: "clip-trim"; clip?: ClipRef; seconds?: number; from?: number; to?: number }
  | { type: "ratio"; ratio: Ratio; platform?: string; fit?: Fit }
  | { type: "fit"; fit: Fit }
  | { type: "title"; text: string }
  | { type: "title-remove" }
  | { type: "music"; stock?: string; volume?: number }
  | { type: "music-volume"; volume: number }
  | { type: "music-remove" }
  | { type: "captions"; lines: string[] }
  | { type: "captions-remove" }
  | { type: "join" }
  | { type: "speed"; factor: number; clip?: ClipRef }
  | { type: "mute"; on: boolean; clip?: ClipRef }
  | { type: "fade"; fadeIn: boolean; fadeOut: boolean }
  | { type: "generate"; prompt: string; seconds: number };

export interface Understanding {
  intents: Intent[];
  /** Clauses that asked for something the agent cannot do, as the user wrote them. */
  leftovers: string[];
}

const TITLE_REMOVE = /\b(remove|delete|drop|no)\s+(the\s+)?title\b|(去掉|删除|删掉|不要)标题/i;

const SECONDS = /(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:seconds?|secs?|s)\b/i;
const MINUTES = /(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:minutes?|mins?)\b/i;
const ZH_SECONDS = /(\d+(?:\.\d+)?)\s*秒/;
const ZH_MINUTES = /(\d+(?:\.\d+)?)\s*分钟/;
const RANGE = /(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?|秒)?\s*(?:-|–|~|to|until|到|至)\s*(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?|秒)/i;

const GENERATE_EXPLICIT = /\b(generate|create)\b|生成/i;
const MAKE_VIDEO = /\bmake\b.*\b(video|clip|animation)\b|(制作|做)(一个|一段|个)?.*视频/i;

const MUSIC = /\b(music|bgm|soundtrack|song|beat)\b|背景音乐|配乐|音乐/i;
const MUSIC_REMOVE = /\b(remove|delete|drop|no|without|mute)\s+(the\s+)?(background\s+)?(music|bgm|soundtrack)\b|(去掉|删除|删掉|不要)(背景)?音乐/i;
const STOCK_TRACKS: Array<[RegExp, string]> = [
  [/lo-?fi/i, "Lo-fi"],
  [/upbeat|energetic|happy|欢快|活泼/i, "Upbeat Pop"],
  [/cinematic|epic|史诗|电影感/i, "Cinematic"],
  [/trending|popular|viral|热门|流行/i, "Trending Beat"],
  [/chill|calm|relax|acoustic|soft|gentle|舒缓|轻松|安静/i, "Chill Acoustic"],
];
const PERCENT = /(\d{1,4}(?:\.\d+)?)\s*(?:%|％|percent\b)/i;
const VOLUME_WORD = /\bvolume\b|\bloudness\b|音量/i;

const CAPTIONS = /\b(captions?|subtitles?|subs)\b|字幕/i;
const CAPTIONS_OFF =
  /\b(remove|delete|turn off|switch off|disable|hide|no|without|drop)\s+(the\s+)?(auto\s+)?(captions?|subtitles?|subs)\b|\b(captions?|subtitles?)\s+off\b|(去掉|关闭|删除|删掉|不要|关掉)字幕/i;

const JOIN = /\b(put\s+(them|these|those|the\s+clips|both|all)\s+together|join|combine|merge|stitch|concatenate|one after (the )?other|back to back)\b|拼接|合并|连起来|接起来|放在一起|合成一个/i;
const TITLE_ASK = /\b(add|put|with|insert|give)\b.*\btitle\b|加.{0,4}标题|添加标题/i;

const UNMUTE = /\b(unmute|restore\s+(the\s+)?(original\s+)?(sound|audio)|(sound|audio)\s+back\s+on|turn\s+(the\s+)?(sound|audio)\s+back\s+on)\b|取消静音|恢复(原声|声音)/i;
const MUTE = /\b(mute|silence|silent|no\s+sound|without\s+sound|remove\s+(the\s+)?(original\s+)?(sound|audio))\b|静音|去掉(原声|声音)|关掉声音|不要(原声|声音)/i;

const FADE_OFF = /\b(no|remove|without|drop)\s+(the\s+)?fades?\b|(去掉|不要)淡(入|出)/i;
const FADE_IN = /\bfade[sd]?[\s-]*in\b|淡入/i;
const FADE_OUT = /\bfade[sd]?[\s-]*out\b|\bfade[sd]?[\s-]*in[\s-]*(?:and|&|\/|-)[\s-]*out\b|淡出/i;
/** Said before cutting into clauses, so "fade in and out" stays one request. */
const FADE_IN_AND_OUT = /\b(fade[sd]?)\s+in\s+(?:and|&)\s+out\b/gi;
const FADE_BOTH = /\bfades?\b(?![\s-]*(in|out))|淡入淡出/i;

const SPEED_FACTOR = /(?<![\d.])(\d+(?:\.\d+)?)\s*(?:x|×|倍速?)(?![a-z\d])/i;
const SPEED_UP = /\b(speed\s*(it\s+|this\s+|them\s+|the\s+\w+\s+)?up|faster|fast[\s-]*forward|double\s+speed|timelapse)\b|加速|快进|快放/i;
const SLOW_DOWN = /\b(slow\s*(it\s+|this\s+|them\s+|the\s+\w+\s+)?down|slower|slow[\s-]*(motion|mo)|half\s+speed)\b|慢动作|放慢|减速|慢放/i;

const PAD = /\b(black\s+bars?|letter-?box(ed)?|pillar-?box(ed)?|pad(ded|ding)?|(don'?t|do not|without|no)\s+crop(ping)?|fit\s+(the\s+)?(whole|entire)|keep\s+(the\s+)?(whole|entire|full)\s+(frame|picture|image|video))\b|黑边|不要裁剪|不裁剪|完整画面/i;
const CROP = /\b(crop(ped|ping)?|fill\s+(the\s+)?(frame|screen)|zoom\s+to\s+fill)\b|裁剪|裁切|填满/i;

const ORDINALS: Array<[RegExp, ClipRef]> = [
  [/\b(first|1st)\b/i, 1],
  [/(?<!\d\s*-?\s*)\bsecond(?!s)\b|\b2nd\b/i, 2],
  [/\b(third|3rd)\b/i, 3],
  [/\b(fourth|4th)\b/i, 4],
  [/\b(fifth|5th)\b/i, 5],
  [/\blast\b/i, "last"],
  [/最后(一)?(个|段|条)?/, "last"],
];
const CLIP_NUMBER = /\b(?:clip|video|segment|part)\s*#?\s*(\d{1,2})\b|第\s*([一二三四五六七八九十]|\d{1,2})\s*(?:个|段|条)/i;
const ZH_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

const CLAUSE_SPLIT = /(?:[,;!?\n，。；！？、]|\.(?!\d)|(?<!\d)\.)+|\s+(?:and|then|also|plus|after that)\s+|然后|并且|接着|同时|再/i;
const REMOVAL = /\b(remove|delete|drop|take\s+out|get\s+rid\s+of|turn\s+off|disable)\b|去掉|删除|删掉|不要|关掉|关闭/i;
const ANY_VERB = /\b(add|put|make|set|cut|trim|keep|use|change|turn|format|give|insert|include|speed|slow|mute|fade|join|combine|merge|crop|remove|delete|drop)\b|加|添加|改|剪|用|去掉|删除|不要/i;
const FILLER_EN = new Set(
  "add put make set please pls it them its the a an some with also can could would you i i'd i'm want like to for me my and then just now too video clip clips this that these those ok okay thanks thank hi hello hey do let's lets us be is of on in more bit little there all both one".split(" "),
);
const FILLER_ZH = /请|帮我|帮|把|给|视频|一下|吧|好的|谢谢|加上|添加|加|和|也|它们|它|这个|这些|我|要|想|你|的|呢|啊|了|一点/g;

/** Stand-ins for the words taken out, so their requests keep their place among the others. */
const TITLE_MARK = " \uE000 ";
const CAPTIONS_MARK = " \uE001 ";

export function understand(message: string, hasVideoClip: boolean): Understanding {
  const intents: Intent[] = [];
  let text = ` ${message.replace(/[\uE000\uE001]/g, " ")} `;

  // Words the user gave (a title, caption lines) come out first, so "Title "30 seconds of fun"" is no trim.
  // ("remove the title" stays in the text: its clause says it, and lends its verb to "and the music".)
  const taken = new Map<string, Intent>();
  if (!TITLE_REMOVE.test(text)) {
    const title = extractTitle(text, (piece) => matchClause(piece).length > 0, TITLE_MARK);
    if (title) {
      taken.set(TITLE_MARK.trim(), { type: "title", text: title.value });
      text = title.rest;
    }
  }
  const captions = extractCaptions(text, CAPTIONS_MARK);
  if (captions) {
    taken.set(CAPTIONS_MARK.trim(), { type: "captions", lines: captions.value });
    text = captions.rest;
  }

  // "Make a video of…" with no clip to edit is a generation (from the description, or from the photos).
  const wantsGeneration = GENERATE_EXPLICIT.test(text) || (MAKE_VIDEO.test(text) && !hasVideoClip);
  if (wantsGeneration) {
    const seconds = durationSeconds(text);
    intents.push({ type: "generate", prompt: message.trim(), seconds: Math.min(Math.max(seconds ?? 5, 2), 60) }, ...taken.values());
    // The description is the prompt, not a list of requests: only the framing and sound still apply.
    for (const intent of matchClause(text.replace(SECONDS, " ").replace(ZH_SECONDS, " "))) {
      if (intent.type === "ratio" || intent.type === "music") intents.push(intent);
    }
    return { intents, leftovers: [] };
  }

  const leftovers: string[] = [];
  let removing = false;
  for (const raw of text.replace(FADE_IN_AND_OUT, "$1 in-out").split(CLAUSE_SPLIT)) {
    let clause = (raw ?? "").trim();
    for (const [mark, intent] of taken) {
      if (!clause.includes(mark)) continue;
      intents.push(intent);
      clause = clause.replace(mark, " ").trim();
    }
    if (!clause) continue;
    // "remove the title and the music": a clause with no verb of its own keeps the one before it.
    if (!ANY_VERB.test(clause) && removing) clause = `remove ${clause}`;
    else removing = REMOVAL.test(clause);
    const found = matchClause(clause);
    if (found.length > 0) intents.push(...found);
    else if (!isFiller(clause)) leftovers.push(clause);
  }
  // "don't crop, keep the whole frame" asks once, in two clauses.
  const seen = new Set<string>();
  return { intents: intents.filter((i) => !seen.has(JSON.stringify(i)) && seen.add(JSON.stringify(i))), leftovers };
}

/** The intents one clause asks for (in a fixed order, so results are stable). */
export function matchClause(clause: string): Intent[] {
  const out: Intent[] = [];
  const clip = clipRef(clause);
  const percent = PERCENT.exec(clause);
  const volume = percent ? Number(percent[1]) / 100 : undefined;

  if (TITLE_REMOVE.test(clause)) out.push({ type: "title-remove" });
  else if (TITLE_ASK.test(clause) && !/["“「]/.test(clause)) out.push({ type: "title", text: "" });

  const speed = speedOf(clause);
  const rest = speed ? clause.replace(SPEED_FACTOR, " ") : clause;

  const range = RANGE.exec(rest);
  const seconds = range ? undefined : durationSeconds(rest);
  if (range) {
    out.push({ type: "clip-trim", ...(clip !== undefined ? { clip } : {}), from: Number(range[1]), to: Number(range[2]) });
  } else if (seconds !== undefined && seconds > 0 && !speed) {
    out.push(clip !== undefined ? { type: "clip-trim", clip, seconds } : { type: "trim", seconds });
  }

  const ratio = aspect(clause);
  const fit = PAD.test(clause) ? "pad" : CROP.test(clause) ? "crop" : undefined;
  if (ratio) out.push(fit ? { ...ratio, fit } : ratio);
  else if (fit) out.push({ type: "fit", fit });

  const musicRemoved = MUSIC_REMOVE.test(clause);
  if (musicRemoved) out.push({ type: "music-remove" });
  else if (MUSIC.test(clause)) {
    const stock = STOCK_TRACKS.find(([re]) => re.test(clause))?.[1];
    out.push({ type: "music", ...(stock ? { stock } : {}), ...(volume !== undefined ? { volume } : {}) });
  } else if (volume !== undefined && (VOLUME_WORD.test(clause) || /^\s*(at\s+)?\d/.test(clause))) {
    out.push({ type: "music-volume", volume });
  }

  if (CAPTIONS.test(clause)) out.push(CAPTIONS_OFF.test(clause) ? { type: "captions-remove" } : { type: "captions", lines: [] });
  if (JOIN.test(clause)) out.push({ type: "join" });

  if (UNMUTE.test(clause)) out.push({ type: "mute", on: false, ...(clip !== undefined ? { clip } : {}) });
  else if (!musicRemoved && MUTE.test(clause)) out.push({ type: "mute", on: true, ...(clip !== undefined ? { clip } : {}) });

  if (speed) out.push({ type: "speed", factor: speed, ...(clip !== undefined ? { clip } : {}) });

  if (FADE_OFF.test(clause)) out.push({ type: "fade", fadeIn: false, fadeOut: false });
  else {
    const both = FADE_BOTH.test(clause);
    const fadeIn = both || FADE_IN.test(clause);
    const fadeOut = both || FADE_OUT.test(clause);
    if (fadeIn || fadeOut) out.push({ type: "fade", fadeIn, fadeOut });
  }
  return out;
}

function speedOf(clause: string): number | undefined {
  const factor = SPEED_FACTOR.exec(clause);
  if (factor) return Number(factor[1]);
  if (SLOW_DOWN.test(clause)) return 0.5;
  if (SPEED_UP.test(clause)) return 2;
  return undefined;
}

function clipRef(clause: string): ClipRef | undefined {
  const numbered = CLIP_NUMBER.exec(clause);
  if (numbered) {
    const digit = numbered[1] ?? numbered[2] ?? "";
    return ZH_DIGITS[digit] ?? Number(digit);
  }
  // An ordinal names a clip only when the clause speaks of clips, not of "the first 10 seconds".
  for (const [re, ref] of ORDINALS) {
    if (re.test(clause) && !/\b(first|last)\s+\d/i.test(clause)) return ref;
  }
  return undefined;
}

function isFiller(clause: string): boolean {
  const zh = clause.replace(FILLER_ZH, "").replace(/[\s\p{P}\p{S}]/gu, "");
  if (/[\u3400-\u9fff]/.test(clause)) return zh === "";
  const words = clause.toLowerCase().split(/[^a-z0-9'%]+/).filter(Boolean);
  return words.every((w) => FILLER_EN.has(w));
}

function durationSeconds(text: string): number | undefined {
  const sec = SECONDS.exec(text) ?? ZH_SECONDS.exec(text);
  if (sec) return Number(sec[1]);
  const min = MINUTES.exec(text) ?? ZH_MINUTES.exec(text);
  if (min) return Number(min[1]) * 60;
  return undefined;
}

function aspect(text: string): Extract<Intent, { type: "ratio" }> | undefined {
  if (/\b9\s*[:：x×/]\s*16\b/i.test(text)) return { type: "ratio", ratio: "9:16" };
  if (/\b16\s*[:：x×/]\s*9\b/i.test(text)) return { type: "ratio", ratio: "16:9" };
  if (/\b1\s*[:：x×/]\s*1\b/i.test(text)) return { type: "ratio", ratio: "1:1" };
  const platform = /\b(reels?|tiktok|shorts|stories)\b|抖音|快手|小红书|视频号/i.exec(text)?.[0];
  if (platform) return { type: "ratio", ratio: "9:16", platform: platformName(platform) };
  if (/\b(vertical|portrait)\b|竖屏|竖版/i.test(text)) return { type: "ratio", ratio: "9:16" };
  if (/\bsquare\b|正方形|方形/i.test(text)) return { type: "ratio", ratio: "1:1" };
  if (/\b(landscape|horizontal|widescreen|youtube)\b|横屏|横版/i.test(text)) return { type: "ratio", ratio: "16:9" };
  return undefined;
}

function platformName(word: string): string {
  const w = word.toLowerCase();
  if (w.startsWith("reel")) return "Reels";
  if (w === "tiktok") return "TikTok";
  if (w === "shorts") return "Shorts";
  if (w === "stories") return "Stories";
  return word;
}
