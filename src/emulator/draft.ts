/**
 * The emulated session's timeline, kept as a small model and written out in the contract's short keys
 * (t, tt, sg, d, m) whenever someone reads it. Segment keys: id, n (name), s (start), d (length),
 * src, ss (where in the source it starts), v (volume), txt (text), and m for the rest (speed, fades),
 * which the contract allows on a segment as on the draft.
 */

export type Ratio = "9:16" | "1:1" | "16:9";
/** How a picture of another shape fills the frame: cut to fill it, or shown whole with black bars. */
export type Fit = "crop" | "pad";

export interface ClipItem {
  id: string;
  /** File name shown in summaries ("n"). */
  name: string;
  kind: "video" | "image" | "generated";
  /** Where in the source file the clip starts ("ss"). */
  sourceOffsetMs: number;
  /** How much of the source the clip plays, from sourceOffsetMs, at normal speed. */
  usedMs: number;
  /** The source's own length; undefined for a still image, which lasts as long as asked. */
  sourceMs?: number;
  src: string;
  /** 2 plays twice as fast (half as long on the timeline). */
  speed: number;
  /** The clip's own sound is left out. */
  muted: boolean;
}

export interface MusicItem {
  id: string;
  name: string;
  /** Present for an uploaded audio file; a stock track has none and is generated at render time. */
  src?: string;
  volume: number;
}

export interface DraftModel {
  clips: ClipItem[];
  /** The length the user asked for ("cut to 30 seconds"). */
  targetMs?: number;
  /** The aspect the user asked for; otherwise the first clip's. */
  ratio?: Ratio;
  /** The first visual upload's shape decides the aspect until someone asks for another. */
  naturalRatio?: Ratio;
  fit: Fit;
  title?: string;
  music?: MusicItem;
  /** Caption lines the user gave, spread evenly over the video. */
  captions: string[];
  fadeIn: boolean;
  fadeOut: boolean;
}

export const IMAGE_CLIP_MS = 3000;
export const TITLE_MS = 3000;
const VIDEO_FADE_MS = 1000;
const MUSIC_FADE_IN_MS = 1000;
const MUSIC_FADE_OUT_MS = 1500;

export function emptyDraft(): DraftModel {
  return { clips: [], captions: [], fit: "crop", fadeIn: false, fadeOut: false };
}

export function ratioDims(ratio: Ratio): { width: number; height: number } {
  if (ratio === "9:16") return { width: 1080, height: 1920 };
  if (ratio === "1:1") return { width: 1080, height: 1080 };
  return { width: 1920, height: 1080 };
}

/** The nearest of the three supported aspects. */
export function ratioFromSize(width: number, height: number): Ratio {
  if (!(width > 0 && height > 0)) return "16:9";
  const r = width / height;
  if (r < 0.8) return "9:16";
  if (r < 1.25) return "1:1";
  return "16:9";
}

export function effectiveRatio(model: DraftModel): Ratio {
  return model.ratio ?? model.naturalRatio ?? "16:9";
}

/** A clip's length on the timeline: what it plays of its source, at its speed. */
export function clipMs(clip: ClipItem): number {
  return Math.max(1, Math.round(clip.usedMs / clip.speed));
}

/** Sum of the clips, cut to the requested length. */
export function totalMs(model: DraftModel): number {
  const sum = model.clips.reduce((acc, c) => acc + clipMs(c), 0);
  return model.targetMs !== undefined ? Math.min(sum, model.targetMs) : sum;
}

/** Caption lines spread evenly over the video, in order. */
export function captionTimes(lines: readonly string[], total: number): Array<{ text: string; s: number; d: number }> {
  if (lines.length === 0 || total <= 0) return [];
  const each = Math.floor(total / lines.length);
  return lines.map((text, i) => ({ text, s: i * each, d: i === lines.length - 1 ? total - i * each : each }));
}

export function toShortKeys(model: DraftModel, _language: string): Record<string, unknown> {
  const ratio = effectiveRatio(model);
  const meta: Record<string, unknown> = { ...ratioDims(ratio), ratio, fit: model.fit };
  if (model.title !== undefined) meta.title = model.title;
  const total = totalMs(model);
  const tracks: Record<string, unknown>[] = [];
  if (model.clips.length > 0) {
    const segments: Record<string, unknown>[] = [];
    let cursor = 0;
    for (const clip of model.clips) {
      if (cursor >= total) break;
      const d = Math.min(clipMs(clip), total - cursor);
      const segment: Record<string, unknown> = { id: clip.id, n: clip.name, s: cursor, d, src: clip.src, ss: clip.sourceOffsetMs };
      if (clip.muted) segment.v = 0;
      if (clip.speed !== 1) segment.m = { speed: clip.speed };
      segments.push(segment);
      cursor += d;
    }
    const first = segments[0];
    const last = segments[segments.length - 1];
    if (first && model.fadeIn) first.m = { ...(first.m as object | undefined), fade_in: Math.min(VIDEO_FADE_MS, Math.floor((first.d as number) / 2)) };
    if (last && model.fadeOut) last.m = { ...(last.m as object | undefined), fade_out: Math.min(VIDEO_FADE_MS, Math.floor((last.d as number) / 2)) };
    tracks.push({ tt: 0, sg: segments });
  }
  if (model.music && total > 0) {
    const fades = { fade_in: Math.min(MUSIC_FADE_IN_MS, Math.floor(total / 4)), fade_out: Math.min(MUSIC_FADE_OUT_MS, Math.floor(total / 4)) };
    const seg: Record<string, unknown> = { id: model.music.id, n: model.music.name, s: 0, d: total, v: model.music.volume, m: fades };
    if (model.music.src) seg.src = model.music.src;
    tracks.push({ tt: 1, sg: [seg] });
  }
  if (model.title !== undefined && total > 0) {
    tracks.push({ tt: 7, sg: [{ id: "title_1", txt: model.title, s: 0, d: Math.min(TITLE_MS, total) }] });
  }
  const captions = captionTimes(model.captions, total);
  if (captions.length > 0) {
    tracks.push({ tt: 7, k: "captions", sg: captions.map((c, i) => ({ id: `cap_${i + 1}`, txt: c.text, s: c.s, d: c.d })) });
  }
  return { t: tracks, d: total, m: meta };
}
