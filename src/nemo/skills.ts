import type { Locale } from "../chat/message.js";
import type { SKILL_PROFILE_NAMES } from "../config.js";

/**
 * The five NemoVideo skills of the backend's own skill documents (docs/backend-contract.md), as data: the
 * `X-Skill-Source` the bot sends for each, how it greets, what it suggests trying, and which files
 * it takes. The operator picks one with SKILL_PROFILE.
 */

export type SkillProfileName = (typeof SKILL_PROFILE_NAMES)[number];

export interface SkillProfile {
  /** `X-Skill-Source`. */
  source: SkillProfileName;
  /** `X-Skill-Version`. */
  version: string;
  title: string;
  purpose: "edit-clips" | "make-video" | "images-to-video";
  greeting: Record<Locale, string>;
  examples: Record<Locale, string[]>;
  /** The formats the seed says work best, in its order. */
  preferredFormats: string[];
  /** The contract's accepted extensions, the same for every skill. */
  acceptedFormats: string[];
  maxFileBytes: number;
}

/** The canonical skill's version (SKILL.md v1.9); no seed names another. */
export const SKILL_VERSION = "1.9";

/** Extensions NemoVideo accepts (the contract's list, in its order). */
export const ACCEPTED_FORMATS = [
  "mp4",
  "mov",
  "avi",
  "webm",
  "mkv",
  "jpg",
  "png",
  "gif",
  "webp",
  "mp3",
  "wav",
  "m4a",
  "aac",
] as const;

/** Photos often end in .jpeg: the same format as .jpg. */
const EXTENSION_ALIASES: Record<string, string> = { jpeg: "jpg" };

/** MIME types of the accepted formats, for files that arrive without a name extension. */
const MIME_FORMATS: Record<string, string> = {
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/x-msvideo": "avi",
  "video/avi": "avi",
  "video/msvideo": "avi",
  "video/webm": "webm",
  "video/x-matroska": "mkv",
  "image/jpeg": "jpg",
  "image/jpg": "jpg",
  "image/pjpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/vnd.wave": "wav",
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
  "audio/m4a": "m4a",
  "audio/aac": "aac",
  "audio/x-aac": "aac",
};

// The seeds say "500MB" and "200MB"; read as binary megabytes, as upload tools usually mean them.
const MB = 1024 * 1024;

function profile(p: Omit<SkillProfile, "version" | "acceptedFormats">): SkillProfile {
  return { ...p, version: SKILL_VERSION, acceptedFormats: [...ACCEPTED_FORMATS] };
}

const PROFILES: Record<SkillProfileName, SkillProfile> = {
  // seeds/000: Reels from clips or images; the seed's "Try saying" list is empty, so the examples
  // are the requests its own text walks through.
  "instagram-reels-maker": profile({
    source: "instagram-reels-maker",
    title: "Instagram Reels Maker",
    purpose: "edit-clips",
    greeting: {
      en: "Drop your video clips or images here and tell me what to do with it. Describe your idea if you don't have files yet.",
      "zh-CN": "把视频片段或图片发到这里，告诉我想怎么处理。还没有素材的话，也可以先说说你的想法。",
    },
    examples: {
      en: [
        "cut to 30 seconds, add trending music and captions",
        "format it for Instagram Reels",
        "adjust the colors and swap the music",
      ],
      "zh-CN": ["剪到 30 秒，加上热门音乐和字幕", "调整成适合 Instagram Reels 的格式", "调整一下色彩，换一首音乐"],
    },
    // "vertical 9:16 video works best … Supports MP4, MOV, AVI, WebM."
    preferredFormats: ["mp4", "mov", "avi", "webm"],
    // The seed names no limit; the contract counts it among the three 500 MB skills.
    maxFileBytes: 500 * MB,
  }),
  // seeds/001: raw footage into a finished video.
  "video-making-ai": profile({
    source: "video-making-ai",
    title: "Video Making AI",
    purpose: "edit-clips",
    greeting: {
      en: "Share your raw footage and I'll get started on AI video creation. Or just tell me what you're thinking.",
      "zh-CN": "把你的原始素材发给我，我马上开始用 AI 制作视频。或者直接告诉我你的想法。",
    },
    examples: {
      // The seed's list reads "create my raw footage" and a cut-off third line; these are its
      // intent in full, the third taken from the seed's own quick example.
      en: [
        "make a video from my raw footage",
        "export 1080p MP4",
        "cut out silences, add background music, and export as a 60-second highlight reel",
      ],
      "zh-CN": ["用我的原始素材做一个视频", "导出 1080p MP4", "剪掉静音部分，加上背景音乐，导出一段 60 秒的精彩集锦"],
    },
    preferredFormats: ["mp4", "mov", "avi", "webm"],
    maxFileBytes: 500 * MB,
  }),
  // seeds/002: video generated from a text prompt or a few images.
  "video-generator-for-free-ai": profile({
    source: "video-generator-for-free-ai",
    title: "Video Generator for Free AI",
    purpose: "make-video",
    greeting: {
      en: "Ready when you are. Drop your text or images here or describe what you want to make.",
      "zh-CN": "随时可以开始。把文字或图片发到这里，或者描述一下你想做什么。",
    },
    examples: {
      // Its "Try saying" list is empty too: these come from its quick example.
      en: [
        "generate a 30-second video from my product description",
        "turn these three product photos into a video",
        "export 1080p MP4",
      ],
      "zh-CN": ["根据我的产品描述生成一段 30 秒的视频", "把这三张产品照片做成一段视频", "导出 1080p MP4"],
    },
    preferredFormats: ["mp4", "mov", "jpg", "png"],
    maxFileBytes: 200 * MB,
  }),
  // seeds/003: clips edited for Instagram Reels and Stories.
  "editor-ai-instagram": profile({
    source: "editor-ai-instagram",
    title: "AI Editor for Instagram",
    purpose: "edit-clips",
    greeting: {
      en: "Send me your video clips and I'll handle the AI Instagram editing. Or just describe what you're after.",
      "zh-CN": "把视频片段发给我，Instagram 剪辑交给 AI 来做。或者直接描述你想要的效果。",
    },
    examples: {
      en: [
        "edit a 60-second vertical phone recording into a 1080p MP4",
        "cut this into a 30-second Instagram Reel with transitions and captions",
        "editing videos for Instagram Reels and Stories for Instagram creators",
      ],
      "zh-CN": [
        "把一段 60 秒的竖屏手机视频剪成 1080p MP4",
        "把它剪成一条 30 秒的 Instagram Reel，加上转场和字幕",
        "为 Instagram 创作者剪辑 Reels 和快拍视频",
      ],
    },
    preferredFormats: ["mp4", "mov", "avi", "webm"],
    maxFileBytes: 500 * MB,
  }),
  // seeds/004: photos edited and animated into a video.
  "free-image-editing": profile({
    source: "free-image-editing",
    title: "Free Image Editing",
    purpose: "images-to-video",
    greeting: {
      en: "Ready when you are. Drop your images or photos here or describe what you want to make.",
      "zh-CN": "随时可以开始。把图片或照片发到这里，或者描述一下你想做什么。",
    },
    examples: {
      en: [
        "edit a product photo or personal snapshot into a 1080p MP4",
        "remove the background, adjust brightness, and add text overlay",
        "editing and animating images into shareable video content for social media creators",
      ],
      "zh-CN": [
        "把一张产品照片或生活照做成 1080p MP4",
        "去掉背景，调整亮度，再加上文字",
        "为社交媒体创作者把图片编辑并做成动态视频，方便分享",
      ],
    },
    preferredFormats: ["jpg", "png", "webp", "gif"],
    maxFileBytes: 200 * MB,
  }),
};

export function skillProfile(name: SkillProfileName): SkillProfile {
  return PROFILES[name];
}

/** The extension of a file name in lower case ("clip.MP4" → "mp4"), or undefined when it has none. */
export function fileExtension(name: string): string | undefined {
  const base = name.split(/[/\\]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  if (dot <= 0 || dot === base.length - 1) return undefined;
  const ext = base.slice(dot + 1).toLowerCase();
  return EXTENSION_ALIASES[ext] ?? ext;
}

/**
 * Does NemoVideo take this file? A name's extension decides; a file without one (a Telegram video,
 * a voice note) is judged by its MIME type.
 */
export function isAcceptedFile(name: string, mimeType?: string): boolean {
  const ext = fileExtension(name);
  const accepted: readonly string[] = ACCEPTED_FORMATS;
  if (ext !== undefined) return accepted.includes(ext);
  if (mimeType === undefined) return false;
  const format = MIME_FORMATS[mimeType.split(";")[0]?.trim().toLowerCase() ?? ""];
  return format !== undefined;
}

/** "mp4, mov, avi, …": the list shown when a file is refused (error 4001). */
export function formatsList(): string {
  return ACCEPTED_FORMATS.join(", ");
}
