import type { Locale } from "../chat/message.js";
import { messages, type Messages } from "../i18n/index.js";
import { parseDraft, readDraft, type Timeline, type TimelineSegment, type TrackKind } from "../nemo/draft.js";
import { formatSpan, maxOf, minOf } from "./timeline-words.js";

/** What a turn changed in the draft, in words: the answer to an edit that ended without any text. */

/** Clips named one by one; more are counted. */
const NAMED_CLIPS = 3;
const SHOWN_CHANGES = 8;
const COMPARE_BUDGET = 1_000_000;
/** Segments of one kind compared between two drafts; more are counted, not named. */
const MAX_COMPARED = 2000;

type Obj = Record<string, unknown>;

const EMPTY: Timeline = { tracks: [], trackCount: 0 };

function segmentsOf(timeline: Timeline, kind: TrackKind): TimelineSegment[] {
  return timeline.tracks
    .filter((t) => t.kind === kind)
    .flatMap((t) => t.segments)
    .slice(0, MAX_COMPARED);
}

/** Items of `a` not matched in `b`, as a multiset (a clip used twice counts twice). */
function missing<T>(a: readonly T[], b: readonly T[]): T[] {
  const left = new Map<T, number>();
  for (const item of b) left.set(item, (left.get(item) ?? 0) + 1);
  const out: T[] = [];
  for (const item of a) {
    const n = left.get(item) ?? 0;
    if (n > 0) left.set(item, n - 1);
    else out.push(item);
  }
  return out;
}

function extent(segments: TimelineSegment[]): { start: number; end: number } | undefined {
  const start = minOf(segments.map((s) => s.startMs));
  const end = maxOf(segments.map((s) => s.endMs).filter((e): e is number => e !== undefined));
  return start === undefined || end === undefined ? undefined : { start, end };
}

/** Deep equality of JSON-like values without recursion; undefined when the budget runs out. */
function sameJson(a: unknown, b: unknown): boolean | undefined {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  let visited = 0;
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [unknown, unknown];
    if (++visited > COMPARE_BUDGET) return undefined;
    if (Object.is(x, y)) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    const ox = x as Obj;
    const oy = y as Obj;
    // As in JSON, a key holding undefined is no key at all.
    const keys = Object.keys(ox).filter((k) => ox[k] !== undefined);
    if (keys.length !== Object.keys(oy).filter((k) => oy[k] !== undefined).length) return false;
    for (const key of keys) {
      if (!Object.prototype.hasOwnProperty.call(oy, key)) return false;
      stack.push([ox[key], oy[key]]);
    }
  }
  return true;
}

function describeClips(m: Messages, a: Timeline, b: Timeline, out: string[]): boolean {
  const before = segmentsOf(a, "video").map((s) => s.name ?? "");
  const after = segmentsOf(b, "video").map((s) => s.name ?? "");
  const added = missing(after, before);
  const removed = missing(before, after);
  if (added.length > NAMED_CLIPS) out.push(m.changeClipsAdded({ count: added.length }));
  else for (const name of added) out.push(m.changeClipAdded(name ? { name } : {}));
  if (removed.length > NAMED_CLIPS) out.push(m.changeClipsRemoved({ count: removed.length }));
  else for (const name of removed) out.push(m.changeClipRemoved(name ? { name } : {}));
  return added.length > 0 || removed.length > 0;
}

function describeLength(m: Messages, a: Timeline, b: Timeline, out: string[]): void {
  const hasVideo = segmentsOf(a, "video").length > 0 && segmentsOf(b, "video").length > 0;
  const was = hasVideo ? extent(segmentsOf(a, "video")) : a.durationMs === undefined ? undefined : { start: 0, end: a.durationMs };
  const now = hasVideo ? extent(segmentsOf(b, "video")) : b.durationMs === undefined ? undefined : { start: 0, end: b.durationMs };
  if (was === undefined || now === undefined) return;
  if (was.start === now.start && was.end === now.end) return;
  const span = formatSpan(m, now.start, now.end) ?? "";
  out.push(now.end - now.start < was.end - was.start ? m.changeTrimmedVideo({ span }) : m.changeVideoLength({ span }));
}

function describeTitles(m: Messages, a: Timeline, b: Timeline, out: string[]): void {
  const before = segmentsOf(a, "text").map((s) => s.name ?? "…");
  const after = segmentsOf(b, "text").map((s) => s.name ?? "…");
  const added = missing(after, before);
  const removed = missing(before, after);
  const [from] = removed;
  const [to] = added;
  if (added.length === 1 && removed.length === 1 && from !== undefined && to !== undefined) {
    out.push(m.changeTitleChanged({ from, to }));
    return;
  }
  for (const text of added) out.push(m.changeTitleAdded({ text }));
  for (const text of removed) out.push(m.changeTitleRemoved({ text }));
}

const percent = (volume: number | undefined) => (volume === undefined ? undefined : Math.round(volume * 100));

function describeMusic(m: Messages, a: Timeline, b: Timeline, out: string[]): void {
  const before = segmentsOf(a, "audio");
  const after = segmentsOf(b, "audio");
  const volumeBefore = new Map<string, number | undefined>();
  for (const s of before) if (!volumeBefore.has(s.name ?? "")) volumeBefore.set(s.name ?? "", percent(s.volume));
  const volumeAfter = new Map<string, number | undefined>();
  for (const s of after) if (!volumeAfter.has(s.name ?? "")) volumeAfter.set(s.name ?? "", percent(s.volume));
  const added = missing(after.map((s) => s.name ?? ""), before.map((s) => s.name ?? ""));
  const removed = missing(before.map((s) => s.name ?? ""), after.map((s) => s.name ?? ""));
  for (const name of added) {
    const volume = volumeAfter.get(name);
    out.push(m.changeMusicAdded({ ...(name ? { name } : {}), ...(volume === undefined ? {} : { volume }) }));
  }
  for (const name of removed) out.push(m.changeMusicRemoved(name ? { name } : {}));
  // The same piece of music at a new volume (the first one that changed says enough).
  for (const [name, volume] of volumeAfter) {
    if (volume !== undefined && volumeBefore.has(name) && volumeBefore.get(name) !== volume) {
      out.push(m.changeMusicVolume({ ...(name ? { name } : {}), volume }));
      break;
    }
  }
}

function describeCaptions(m: Messages, a: Timeline, b: Timeline, out: string[]): void {
  const before = segmentsOf(a, "captions");
  const after = segmentsOf(b, "captions");
  if (before.length === 0 && after.length > 0) out.push(m.changeCaptionsOn);
  else if (before.length > 0 && after.length === 0) out.push(m.changeCaptionsOff);
  else if (before.length > 0 && sameJson(before, after) === false) out.push(m.changeCaptionsUpdated);
}

function describeFrame(m: Messages, a: Timeline, b: Timeline, out: string[]): void {
  // A first draft gets its frame with its first clip: that is no change worth naming.
  const hadContent = a.ratio !== undefined || a.tracks.some((t) => t.segmentCount > 0);
  if (b.ratio !== undefined && b.ratio !== a.ratio && hadContent) {
    out.push(m.changeRatio({ ratio: b.ratio }));
  } else if (
    a.width !== undefined &&
    a.height !== undefined &&
    b.width !== undefined &&
    b.height !== undefined &&
    (a.width !== b.width || a.height !== b.height)
  ) {
    out.push(m.changeResolution({ width: b.width, height: b.height }));
  }
}

/**
 * Words for what a turn changed, for the turns that end without any text: "trimmed the video to
 * 0-30s", "added the title "Summer Vibes"", …; "updated the timeline" for a change we cannot name;
 * an empty list when nothing changed.
 */
export function describeDraftChanges(before: unknown, after: unknown, locale: Locale): string[] {
  const m = messages(locale);
  const a = readDraft(before) ?? EMPTY;
  const b = readDraft(after) ?? EMPTY;
  const out: string[] = [];
  describeFrame(m, a, b, out);
  const clipsChanged = describeClips(m, a, b, out);
  // Adding or removing a clip changes the length by itself; only a pure trim is worth its own words.
  if (!clipsChanged) describeLength(m, a, b, out);
  describeTitles(m, a, b, out);
  describeMusic(m, a, b, out);
  describeCaptions(m, a, b, out);
  if (out.length === 0) {
    const same = sameJson(parseDraft(before), parseDraft(after)) ?? sameJson(a, b);
    return same === false ? [m.changeGeneric] : [];
  }
  if (out.length > SHOWN_CHANGES) {
    const hidden = out.length - (SHOWN_CHANGES - 1);
    return [...out.slice(0, SHOWN_CHANGES - 1), m.changeMore({ count: hidden })];
  }
  return out;
}
