import type { ProcessPool } from "./processes.js";

/** What an upload's answer reports about a media file. */
export interface MediaInfo {
  duration: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  /** Channels of the sound (1 = mono); 0 when unknown. */
  audioChannels: number;
}

export type FileType = "video" | "image" | "audio";

const VIDEO = ["mp4", "mov", "avi", "webm", "mkv"];
const IMAGE = ["jpg", "jpeg", "png", "gif", "webp"];
const AUDIO = ["mp3", "wav", "m4a", "aac"];

/** The contract's accepted formats; undefined for anything else (answered with 4001). */
export function fileTypeOf(filename: string): FileType | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase() ?? "";
  if (VIDEO.includes(ext)) return "video";
  if (IMAGE.includes(ext)) return "image";
  if (AUDIO.includes(ext)) return "audio";
  return undefined;
}

/** What the emulator assumes when it cannot look inside a file (no ffprobe, or a recorded URL). */
export function defaultInfo(type: FileType): MediaInfo {
  if (type === "video") return { duration: 10, width: 1920, height: 1080, fps: 30, hasAudio: true, audioChannels: 0 };
  if (type === "image") return { duration: 0, width: 1080, height: 1080, fps: 0, hasAudio: false, audioChannels: 0 };
  return { duration: 30, width: 0, height: 0, fps: 0, hasAudio: true, audioChannels: 0 };
}

/** Reads duration, size, frame rate and audio presence with ffprobe; defaults where it cannot. */
export async function probeMedia(pool: ProcessPool | undefined, path: string, type: FileType): Promise<MediaInfo> {
  const info = defaultInfo(type);
  if (!pool) return info;
  let parsed: unknown;
  try {
    const out = await pool.run("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]);
    parsed = JSON.parse(out);
  } catch {
    return info; // not media ffprobe understands: keep the defaults, like a lenient backend
  }
  const root = parsed as { format?: { duration?: string }; streams?: Array<Record<string, unknown>> };
  const streams = root.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video");
  const audio = streams.find((s) => s.codec_type === "audio");
  const duration = Number(root.format?.duration);
  if (type !== "image" && Number.isFinite(duration) && duration > 0) info.duration = Math.round(duration * 100) / 100;
  if (video) {
    if (typeof video.width === "number") info.width = video.width;
    if (typeof video.height === "number") info.height = video.height;
    const rate = typeof video.avg_frame_rate === "string" && video.avg_frame_rate !== "0/0" ? video.avg_frame_rate : video.r_frame_rate;
    if (typeof rate === "string" && type === "video") {
      const [num, den] = rate.split("/").map(Number);
      if (num && den) info.fps = Math.round((num / den) * 100) / 100;
    }
  }
  info.hasAudio = audio !== undefined;
  if (typeof audio?.channels === "number") info.audioChannels = audio.channels;
  return info;
}
