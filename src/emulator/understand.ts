import type { Ratio } from "./draft.js";

/**
 * The small set of requests the emulated agent understands, in English and Chinese phrasing.
 * Anything else is answered politely with no change, as a cautious agent would.
 */
export type Intent =
  | { type: "trim"; seconds: number }
  | { type: "ratio"; ratio: Ratio; platform?: string }
  | { type: "title"; text: string }
  | { type: "title-remove" }
  | { type: "music"; stock?: string }
  | { type: "music-remove" }
  | { type: "captions"; on: boolean }
  | { type: "generate"; prompt: string; seconds: number };

const QUOTED_TITLE = /\btitled?\b[^"“”'‘’「『]{0,40}["“'‘「『]([^"”'’」』]{1,80})["”'’」』]/i;
const BARE_TITLE = /\btitled?\s*(?::|saying|that says|reading)\s*([^,.;!?]{1,80})/i;
const ZH_QUOTED_TITLE = /标题[^“"「『]{0,10}[“"「『]([^”"」』]{1,80})[”"」』]/;
const ZH_BARE_TITLE = /标题\s*[：:为是]\s*([^，。,.!！？?\s]{1,40})/;
const TITLE_REMOVE = /\b(remove|delete|drop|no)\s+(the\s+)?title\b|(去掉|删除|删掉|不要)标题/i;

const SECONDS = /(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:seconds?|secs?|s)\b/i;
const MINUTES = /(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:minutes?|mins?)\b/i;
const ZH_SECONDS = /(\d+(?:\.\d+)?)\s*秒/;
const ZH_MINUTES = /(\d+(?:\.\d+)?)\s*分钟/;

const GENERATE_EXPLICIT = /\b(generate|create)\b|生成/i;
const MAKE_VIDEO = /\bmake\b.*\b(video|clip|animation)\b|(制作|做)(一个|一段|个)?.*视频/i;

const MUSIC = /\b(music|bgm|soundtrack|song|beat)\b|背景音乐|配乐|音乐/i;
const MUSIC_REMOVE = /\b(remove|delete|drop|no|without|mute)\s+(the\s+)?(background\s+)?(music|bgm|soundtrack)\b|(去掉|删除|删掉|不要)(背景)?音乐/i;
const STOCK_TRACKS: Array<[RegExp, string]> = [
  [/lo-?fi/i, "Lo-fi"],
  [/upbeat|energetic|happy|欢快|活泼/i, "Upbeat Pop"],
  [/cinematic|epic|史诗|电影感/i, "Cinematic"],
  [/trending|popular|viral|热门|流行/i, "Trending Beat"],
  [/chill|calm|relax|acoustic|舒缓|轻松/i, "Chill Acoustic"],
];

const CAPTIONS = /\b(captions?|subtitles?|subs)\b|字幕/i;
const CAPTIONS_OFF =
  /\b(remove|delete|turn off|switch off|disable|hide|no|without|drop)\s+(the\s+)?(auto\s+)?(captions?|subtitles?|subs)\b|\b(captions?|subtitles?)\s+off\b|(去掉|关闭|删除|删掉|不要|关掉)字幕/i;

export function understand(message: string, hasVideoClip: boolean): Intent[] {
  const intents: Intent[] = [];
  let text = message;

  // The title first, and cut out of the text, so "Title "30 seconds of fun"" is not a trim.
  if (TITLE_REMOVE.test(text)) {
    intents.push({ type: "title-remove" });
  } else {
    const title = QUOTED_TITLE.exec(text) ?? ZH_QUOTED_TITLE.exec(text) ?? BARE_TITLE.exec(text) ?? ZH_BARE_TITLE.exec(text);
    if (title?.[1]?.trim()) {
      intents.push({ type: "title", text: title[1].trim() });
      text = text.replace(title[0], " ");
    }
  }

  const seconds = durationSeconds(text);
  // "Make a video of…" with no clip to edit is a generation (from the description, or from the photos).
  const wantsGeneration = GENERATE_EXPLICIT.test(text) || (MAKE_VIDEO.test(text) && !hasVideoClip);
  if (wantsGeneration) {
    intents.push({ type: "generate", prompt: message.trim(), seconds: Math.min(Math.max(seconds ?? 5, 2), 60) });
  } else if (seconds !== undefined && seconds > 0) {
    intents.push({ type: "trim", seconds });
  }

  const ratio = aspect(text);
  if (ratio) intents.push(ratio);

  if (MUSIC_REMOVE.test(text)) intents.push({ type: "music-remove" });
  else if (MUSIC.test(text)) {
    const stock = STOCK_TRACKS.find(([re]) => re.test(text))?.[1];
    intents.push(stock ? { type: "music", stock } : { type: "music" });
  }

  if (CAPTIONS.test(text)) intents.push({ type: "captions", on: !CAPTIONS_OFF.test(text) });
  return intents;
}

function durationSeconds(text: string): number | undefined {
  const sec = SECONDS.exec(text) ?? ZH_SECONDS.exec(text);
  if (sec) return Number(sec[1]);
  const min = MINUTES.exec(text) ?? ZH_MINUTES.exec(text);
  if (min) return Number(min[1]) * 60;
  return undefined;
}

function aspect(text: string): Intent | undefined {
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
