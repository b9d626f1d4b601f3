/**
 * The emulated session's timeline, kept as a small model and written out in the contract's short keys
 * (t, tt, sg, d, m; segment keys id, n, s, d, src, ss, v, txt) whenever someone reads it.
 */

export type Ratio = "9:16" | "1:1" | "16:9";

export interface ClipItem {
  id: string;
  /** File name shown in summaries ("n"). */
  name: string;
  kind: "video" | "image" | "generated";
  durationMs: number;
  /** Where in the source file the clip starts ("ss"). */
  sourceOffsetMs: number;
  src: string;
}

export interface MusicItem {
  id: string;
  name: string;
  /** Present for an uploaded audio file; a stock track has none. */
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
  title?: string;
  music?: MusicItem;
  captions: boolean;
}

export const IMAGE_CLIP_MS = 3000;
const TITLE_MS = 3000;
const CAPTION_MS = 2000;

export function emptyDraft(): DraftModel {
  return { clips: [], captions: false };
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

/** Sum of the clips, cut to the requested length. */
export function totalMs(model: DraftModel): number {
  const sum = model.clips.reduce((acc, c) => acc + c.durationMs, 0);
  return model.targetMs !== undefined ? Math.min(sum, model.targetMs) : sum;
}

export function toShortKeys(model: DraftModel, language: string): Record<string, unknown> {
  const ratio = effectiveRatio(model);
  const meta: Record<string, unknown> = { ...ratioDims(ratio), ratio };
  if (model.title !== undefined) meta.title = model.title;
  const total = totalMs(model);
  const tracks: Record<string, unknown>[] = [];
  if (model.clips.length > 0) {
    const segments: Record<string, unknown>[] = [];
    let cursor = 0;
    for (const clip of model.clips) {
      if (cursor >= total) break;
      const d = Math.min(clip.durationMs, total - cursor);
      segments.push({ id: clip.id, n: clip.name, s: cursor, d, src: clip.src, ss: clip.sourceOffsetMs });
      cursor += d;
    }
    tracks.push({ tt: 0, sg: segments });
  }
  if (model.music) {
    const seg: Record<string, unknown> = { id: model.music.id, n: model.music.name, s: 0, d: total, v: model.music.volume };
    if (model.music.src) seg.src = model.music.src;
    tracks.push({ tt: 1, sg: [seg] });
  }
  if (model.title !== undefined && total > 0) {
    tracks.push({ tt: 7, sg: [{ id: "title_1", txt: model.title, s: 0, d: Math.min(TITLE_MS, total) }] });
  }
  if (model.captions && total > 0) {
    const word = language.startsWith("zh") ? "字幕" : "Caption";
    const segments: Record<string, unknown>[] = [];
    for (let s = 0, i = 1; s < total; s += CAPTION_MS, i++) {
      segments.push({ id: `cap_${i}`, txt: `${word} ${i}`, s, d: Math.min(CAPTION_MS, total - s) });
    }
    tracks.push({ tt: 7, k: "captions", sg: segments });
  }
  return { t: tracks, d: total, m: meta };
}
