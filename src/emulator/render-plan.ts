import { ratioFromSize, type Fit, type Ratio } from "./draft.js";
import { isObject } from "./http.js";
import type { EmulatedUpload } from "./types.js";

/**
 * What a render makes, read from the draft the client sent back (leniently: the short keys the
 * emulator writes, and the long names a hand-made draft might use). Times are in seconds.
 */
export interface RenderPlan {
  width: number;
  height: number;
  seconds: number;
  fit: Fit;
  /** The picture, one segment after another in timeline order (gaps are black). */
  segments: PlannedSegment[];
  /** Titles and captions, each drawn from start to end. */
  texts: PlannedText[];
  music: PlannedMusic[];
}

export type SegmentSource =
  | { kind: "video"; path: string; offset: number; hasAudio: boolean; mono: boolean }
  | { kind: "image"; path: string }
  /** Media the emulator has no pixels for (a generated clip, a link it never fetched): a test pattern. */
  | { kind: "pattern" }
  | { kind: "blank" };

export interface PlannedSegment {
  source: SegmentSource;
  /** Length on the timeline. */
  seconds: number;
  /** 2 = twice as fast: the segment plays seconds × speed of its source. */
  speed: number;
  /** The segment's own sound, 0 (muted) to 1. */
  volume: number;
  fadeIn: number;
  fadeOut: number;
}

export interface PlannedText {
  text: string;
  role: "title" | "caption";
  start: number;
  end: number;
}

export interface PlannedMusic {
  source: { kind: "file"; path: string; mono: boolean } | { kind: "bed"; name: string };
  /** 0..1 */
  volume: number;
  start: number;
  end: number;
  fadeIn: number;
  fadeOut: number;
}

/** Renders stay small and quick: they prove the edits, not the picture quality. */
const SIZES: Record<Ratio, { width: number; height: number }> = {
  "9:16": { width: 360, height: 640 },
  "1:1": { width: 480, height: 480 },
  "16:9": { width: 640, height: 360 },
};
export const MAX_RENDER_SECONDS = 60;
/** One frame at 25 fps: shorter pieces are dropped, shorter gaps closed. */
const FRAME = 0.04;
const DEFAULT_TITLE_SECONDS = 3;

type Lookup = (src: string) => EmulatedUpload | undefined;
type Obj = Record<string, unknown>;

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}
function num(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  }
  return undefined;
}
function str(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === "string" && v.trim() !== "") return v;
  return undefined;
}
/** A segment's own metadata (`m`), where the contract lets names, text and the rest sit. */
function metaOf(item: Obj): Obj {
  return isObject(item.m) ? item.m : isObject(item.meta) ? item.meta : isObject(item.metadata) ? item.metadata : {};
}
/** 0..1 as a fraction; 1..100 as a percentage (as the bot's reader reads it). */
function volumeOf(...values: unknown[]): number | undefined {
  const n = num(...values);
  if (n === undefined || n < 0) return undefined;
  return n <= 1 ? n : n <= 100 ? n / 100 : 1;
}

/** True when some track has a segment: the contract's "ready for export". */
export function draftHasSegments(draft: unknown): boolean {
  if (!isObject(draft)) return false;
  return list(draft.t ?? draft.tracks).some((track) => list(track.sg ?? track.segments).length > 0);
}

const CAPTION_HINT = /caption|subtitle|字幕/i;

export function planRender(draft: Obj, lookup: Lookup): RenderPlan {
  const tracks = list(draft.t ?? draft.tracks);
  const meta = metaOf(draft);
  const typeOf = (track: Obj) => num(track.tt, track.type, track.track_type);
  const segmentsOf = (track: Obj) => list(track.sg ?? track.segments);

  const ratioText = str(meta.ratio)?.replace(/\s+/g, "");
  const ratio: Ratio =
    ratioText === "9:16" || ratioText === "1:1" || ratioText === "16:9" ? ratioText : ratioFromSize(num(meta.width) ?? 1920, num(meta.height) ?? 1080);
  const { width, height } = SIZES[ratio];
  const fitText = str(meta.fit, meta.fill, meta.scale_mode)?.toLowerCase() ?? "";
  const fit: Fit = /pad|contain|letter|fit|bars/.test(fitText) ? "pad" : "crop";

  const cap = Math.min(MAX_RENDER_SECONDS, (num(draft.d, draft.duration) ?? Number.POSITIVE_INFINITY) / 1000);
  const visual = tracks.filter((t) => typeOf(t) === 0).flatMap(segmentsOf);
  const segments = sequence(visual, cap, lookup);
  let seconds = segments.reduce((acc, s) => acc + s.seconds, 0);
  if (segments.length === 0) {
    // Nothing to show (a draft of music or text alone): a test pattern as long as the draft says.
    const ends = tracks.flatMap(segmentsOf).map((s) => ((num(s.s, s.start) ?? 0) + (num(s.d, s.duration) ?? 0)) / 1000);
    seconds = Math.max(1, Math.min(MAX_RENDER_SECONDS, Number.isFinite(cap) ? cap : Math.max(0, ...ends)));
    segments.push({ source: { kind: "pattern" }, seconds, speed: 1, volume: 1, fadeIn: 0, fadeOut: 0 });
  }

  const texts: PlannedText[] = [];
  for (const track of tracks.filter((t) => typeOf(t) === 7)) {
    const captions = [track.k, track.kind, track.name, track.role].some((v) => typeof v === "string" && CAPTION_HINT.test(v));
    for (const seg of segmentsOf(track)) {
      const m = metaOf(seg);
      const text = str(seg.txt, seg.text, m.txt, m.text, seg.title, m.title, seg.n, seg.name, m.name);
      if (!text) continue;
      const start = (num(seg.s, seg.start) ?? 0) / 1000;
      const length = num(seg.d, seg.duration);
      const end = Math.min(seconds, length !== undefined ? start + length / 1000 : seconds);
      if (end - start >= FRAME) texts.push({ text, role: captions ? "caption" : "title", start, end });
    }
  }
  const title = str(meta.title);
  if (texts.length === 0 && title) texts.push({ text: title, role: "title", start: 0, end: Math.min(DEFAULT_TITLE_SECONDS, seconds) });

  const music: PlannedMusic[] = [];
  for (const seg of tracks.filter((t) => typeOf(t) === 1).flatMap(segmentsOf)) {
    const m = metaOf(seg);
    const start = (num(seg.s, seg.start) ?? 0) / 1000;
    const length = num(seg.d, seg.duration);
    const end = Math.min(seconds, length !== undefined ? start + length / 1000 : seconds);
    if (end - start < FRAME) continue;
    const file = lookup(str(seg.src, seg.url) ?? "");
    const usable = file?.path && (file.fileType === "audio" || (file.fileType === "video" && file.hasAudio));
    const name = str(seg.n, seg.name, m.name, m.title) ?? "Lo-fi";
    music.push({
      source: usable ? { kind: "file", path: file.path!, mono: file.audioChannels === 1 } : { kind: "bed", name },
      volume: volumeOf(seg.v, seg.vol, seg.volume, m.volume) ?? 1,
      start,
      end,
      fadeIn: Math.min((num(m.fade_in, seg.fade_in) ?? 0) / 1000, (end - start) / 2),
      fadeOut: Math.min((num(m.fade_out, seg.fade_out) ?? 0) / 1000, (end - start) / 2),
    });
  }
  return { width, height, seconds, fit, segments, texts, music };
}

/** The picture's segments in timeline order, each played whole after the one before, cut at `cap` seconds. */
function sequence(raw: Obj[], cap: number, lookup: Lookup): PlannedSegment[] {
  const ordered = raw.map((seg, i) => ({ seg, i, s: (num(seg.s, seg.start) ?? 0) / 1000 })).sort((a, b) => a.s - b.s || a.i - b.i);
  const out: PlannedSegment[] = [];
  let cursor = 0;
  for (const { seg, s } of ordered) {
    if (cursor >= cap - FRAME) break;
    if (s - cursor >= FRAME) {
      const gap = Math.min(s, cap) - cursor;
      out.push({ source: { kind: "blank" }, seconds: gap, speed: 1, volume: 0, fadeIn: 0, fadeOut: 0 });
      cursor += gap;
    }
    const m = metaOf(seg);
    const file = lookup(str(seg.src, seg.url) ?? "");
    const speed = Math.min(4, Math.max(0.25, num(m.speed, seg.speed, seg.sp) ?? 1));
    const length = Math.min((num(seg.d, seg.duration) ?? (file?.duration ?? 3) * 1000) / 1000, cap - cursor);
    if (length < FRAME) continue;
    let source: SegmentSource = { kind: "pattern" };
    if (file?.path && file.fileType === "video") {
      source = { kind: "video", path: file.path, offset: (num(seg.ss, seg.source_start, m.ss) ?? 0) / 1000, hasAudio: file.hasAudio, mono: file.audioChannels === 1 };
    } else if (file?.path && file.fileType === "image") {
      source = { kind: "image", path: file.path };
    }
    out.push({
      source,
      seconds: length,
      speed,
      volume: volumeOf(seg.v, seg.vol, seg.volume, m.volume) ?? 1,
      fadeIn: Math.min((num(m.fade_in, seg.fade_in) ?? 0) / 1000, length / 2),
      fadeOut: Math.min((num(m.fade_out, seg.fade_out) ?? 0) / 1000, length / 2),
    });
    cursor += length;
  }
  return out;
}
