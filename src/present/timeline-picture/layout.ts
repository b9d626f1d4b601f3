import type { PictureSegment, PictureTimeline, PictureTrack, PictureTrackKind } from "./model.js";

/**
 * Where everything goes, in pixels, with no drawing: lanes (one per track), rows (a long or busy
 * timeline wraps onto several rows, like lines of text, so 50 clips still get blocks wide enough to
 * read), blocks and tick marks. render.ts draws what this says.
 */

export const WIDTH = 1000;
const PAD = 20;
const GUTTER = 84;
export const PLOT_X = PAD + GUTTER;
export const PLOT_WIDTH = WIDTH - PLOT_X - PAD;
export const HEADER_HEIGHT = 64;
const AXIS_HEIGHT = 24;
const VIDEO_LANE = 52;
const OTHER_LANE = 36;
const LANE_GAP = 5;
const ROW_GAP = 14;
const FOOTNOTE_HEIGHT = 26;
const BOTTOM = 16;
/** A typical clip should get at least this many pixels: room for a thumbnail and a short name. */
const MIN_TYPICAL_BLOCK = 120;
const MAX_ROWS = 7;
export const MAX_LANES = 8;
const MIN_BLOCK = 3;
/** Tick steps in ms: about 8 ticks per row at most. */
const TICK_STEPS = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];
const MAX_TICKS = 8;

const KIND_ORDER: Record<PictureTrackKind, number> = { video: 0, audio: 1, text: 2, captions: 3, other: 4 };

export interface BlockLayout {
  kind: PictureTrackKind;
  segment: PictureSegment;
  /** 1-based position in its track. */
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
  durationMs: number;
  /** The block goes on from the previous row / onto the next one. */
  continuesLeft: boolean;
  continuesRight: boolean;
}

export interface LaneLayout {
  kind: PictureTrackKind;
  y: number;
  height: number;
  blocks: BlockLayout[];
}

export interface TickLayout {
  x: number;
  ms: number;
}

export interface RowLayout {
  y: number;
  height: number;
  startMs: number;
  endMs: number;
  ticks: TickLayout[];
  lanes: LaneLayout[];
}

export interface PictureLayout {
  width: number;
  height: number;
  totalMs: number;
  rows: RowLayout[];
  /** Tracks left out of the picture (beyond MAX_LANES, or beyond what the reader kept). */
  hiddenTracks: number;
}

interface Span {
  segment: PictureSegment;
  index: number;
  startMs: number;
  endMs: number;
}

/** Each segment's span: its end as given, else up to the next segment, else to the end of the timeline. */
function spansOf(track: PictureTrack, totalMs: number): Span[] {
  const starts = [...new Set(track.segments.map((s) => s.startMs))].sort((a, b) => a - b);
  return track.segments.map((segment, i) => {
    let end = segment.endMs;
    if (end === undefined || end < segment.startMs) {
      const next = starts.find((s) => s > segment.startMs);
      end = next ?? Math.max(totalMs, segment.startMs);
    }
    return { segment, index: i + 1, startMs: segment.startMs, endMs: end };
  });
}

function totalOf(timeline: PictureTimeline): number {
  let total = timeline.durationMs ?? 0;
  for (const track of timeline.tracks) {
    for (const s of track.segments) total = Math.max(total, s.endMs ?? s.startMs);
  }
  return total;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Rows enough for a typical clip (the video track's, else any track's) to get a readable block. */
function rowCountFor(spans: Span[][], kinds: PictureTrackKind[], totalMs: number): number {
  const video = spans.filter((_, i) => kinds[i] === "video").flat();
  const pool = (video.length > 0 ? video : spans.flat()).map((s) => s.endMs - s.startMs).filter((d) => d > 0);
  const typical = median(pool);
  if (typical === undefined) return 1;
  const rows = Math.ceil((MIN_TYPICAL_BLOCK * totalMs) / (typical * PLOT_WIDTH));
  return Math.min(MAX_ROWS, Math.max(1, rows));
}

function tickStep(spanMs: number): number {
  return TICK_STEPS.find((step) => spanMs / step <= MAX_TICKS) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
}

function laneHeight(kind: PictureTrackKind): number {
  return kind === "video" ? VIDEO_LANE : OTHER_LANE;
}

/** The layout, or undefined when there is nothing to draw on a time axis (no segment, no length). */
export function layoutTimeline(timeline: PictureTimeline): PictureLayout | undefined {
  const totalMs = totalOf(timeline);
  const withSegments = timeline.tracks.filter((t) => t.segments.length > 0);
  if (totalMs <= 0 || withSegments.length === 0) return undefined;
  const tracks = withSegments
    .map((track, order) => ({ track, order }))
    .sort((a, b) => KIND_ORDER[a.track.kind] - KIND_ORDER[b.track.kind] || a.order - b.order)
    .slice(0, MAX_LANES)
    .map((t) => t.track);
  const kinds = tracks.map((t) => t.kind);
  const spans = tracks.map((t) => spansOf(t, totalMs));
  // Every row covers the same whole number of tick steps, so all rows share one scale and a row
  // break falls on a round time (where clips of round lengths also meet).
  const wanted = totalMs / rowCountFor(spans, kinds, totalMs);
  const rowSpan = wanted < totalMs ? Math.ceil(wanted / tickStep(wanted)) * tickStep(wanted) : totalMs;
  const rowCount = Math.max(1, Math.ceil(totalMs / rowSpan - 1e-9));
  const step = tickStep(rowSpan);
  const scale = PLOT_WIDTH / rowSpan;

  const rows: RowLayout[] = [];
  let y = HEADER_HEIGHT;
  for (let r = 0; r < rowCount; r++) {
    const startMs = r * rowSpan;
    const endMs = Math.min(totalMs, (r + 1) * rowSpan);
    const ticks: TickLayout[] = [];
    for (let ms = Math.ceil(startMs / step) * step; ms <= endMs + 1e-6; ms += step) {
      ticks.push({ x: PLOT_X + (ms - startMs) * scale, ms });
    }
    const lanes: LaneLayout[] = [];
    let laneY = y + AXIS_HEIGHT;
    tracks.forEach((track, t) => {
      const height = laneHeight(track.kind);
      const blocks: BlockLayout[] = [];
      for (const span of spans[t] ?? []) {
        const from = Math.max(span.startMs, startMs);
        const to = Math.min(span.endMs, endMs);
        // A segment of no length still shows, as a sliver, in the row where it starts.
        const inRow = to > from || (span.startMs >= startMs && span.startMs < endMs) || (r === rowCount - 1 && span.startMs === endMs);
        if (!inRow) continue;
        const x = PLOT_X + (from - startMs) * scale;
        const width = Math.max(MIN_BLOCK, Math.min((to - from) * scale, PLOT_X + PLOT_WIDTH - x));
        blocks.push({
          kind: track.kind,
          segment: span.segment,
          index: span.index,
          x,
          y: laneY,
          width,
          height,
          durationMs: span.endMs - span.startMs,
          continuesLeft: span.startMs < startMs,
          continuesRight: span.endMs > endMs,
        });
      }
      lanes.push({ kind: track.kind, y: laneY, height, blocks });
      laneY += height + LANE_GAP;
    });
    const height = laneY - LANE_GAP - y;
    rows.push({ y, height, startMs, endMs, ticks, lanes });
    y += height + ROW_GAP;
  }
  const hiddenTracks = Math.max(0, timeline.trackCount - tracks.length - (timeline.tracks.length - withSegments.length));
  const height = y - ROW_GAP + (hiddenTracks > 0 ? FOOTNOTE_HEIGHT : 0) + BOTTOM;
  return { width: WIDTH, height: Math.ceil(height), totalMs, rows, hiddenTracks };
}
