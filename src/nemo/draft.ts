import type { Locale } from "../chat/message.js";
import { messages, type Messages } from "../i18n/index.js";

/**
 * A typed, tolerant view of NemoVideo's short-key draft (`t` tracks, `tt` track type, `sg`
 * segments, `d` duration in ms, `m` metadata). Segment keys are not public, so every field is read
 * from several candidate keys and anything unreadable is skipped, never thrown on. The draft itself
 * is passed back to export untouched; this view is only for words shown to the user.
 */

export type TrackKind = "video" | "audio" | "text" | "captions" | "other";

export interface TimelineSegment {
  name?: string;
  startMs: number;
  endMs?: number;
  /** 0..1 */
  volume?: number;
  /** Where the clip comes from (its URL or path as the draft says): the key of its thumbnail. */
  source?: string;
}

export interface TimelineTrack {
  kind: TrackKind;
  /** The first segments of the track (at most MAX_SEGMENTS). */
  segments: TimelineSegment[];
  /** How many segments the track really has. */
  segmentCount: number;
}

export interface Timeline {
  /** The first tracks of the draft (at most MAX_TRACKS). */
  tracks: TimelineTrack[];
  /** How many tracks the draft really has. */
  trackCount: number;
  durationMs?: number;
  title?: string;
  width?: number;
  height?: number;
  /** "9:16", as the draft says or as its width and height reduce to. */
  ratio?: string;
}

// Caps keep a hostile or broken draft from costing more than a glance.
const MAX_TRACKS = 100;
const MAX_SEGMENTS = 1000;
const MAX_NAME = 80;
/** A longer source is no URL worth matching a thumbnail against. */
const MAX_SOURCE = 2000;
const MAX_DRAFT_STRING = 5_000_000;
/** About three years in ms: anything larger is not a time on a timeline. */
const MAX_MS = 1e11;
const SHOWN_SEGMENTS = 3;
const SHOWN_TRACKS = 20;
const SHOWN_CHANGES = 8;
const COMPARE_BUDGET = 1_000_000;
/** Segments of one kind compared between two drafts; more are counted, not named. */
const MAX_COMPARED = 2000;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function first(obj: Obj, keys: readonly string[]): unknown {
  for (const key of keys) {
    if (Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined && obj[key] !== null) return obj[key];
  }
  return undefined;
}

/** A finite number, or a string holding only one. */
function num(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.length < 40 && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function timeMs(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && n >= 0 && n <= MAX_MS ? n : undefined;
}

function cleanText(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  // Control characters and line breaks would break the one-line-per-track layout.
  const text = value
    .slice(0, MAX_NAME * 4)
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return undefined;
  return text.length > MAX_NAME ? `${text.slice(0, MAX_NAME - 1)}…` : text;
}

function basename(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const path = value.slice(0, 2000).split(/[?#]/)[0] ?? "";
  const last = path.split(/[/\\]/).filter(Boolean).pop();
  if (last === undefined) return undefined;
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // A malformed escape: show the name as it is.
  }
  return cleanText(decoded);
}

const NAME_KEYS = ["n", "name", "title", "label", "txt", "text"] as const;
const SOURCE_KEYS = ["src", "url", "path", "file", "source"] as const;
const START_KEYS = ["s", "start", "st", "startTime"] as const;
const DURATION_KEYS = ["d", "dur", "duration", "len"] as const;
const END_KEYS = ["e", "end", "endTime"] as const;
const VOLUME_KEYS = ["v", "vol", "volume"] as const;

const SEGMENT_META_KEYS = ["m", "meta", "metadata"] as const;

function firstName(obj: Obj): string | undefined {
  for (const key of NAME_KEYS) {
    const name = cleanText(obj[key]);
    if (name !== undefined) return name;
  }
  return undefined;
}

function firstSourceName(obj: Obj): string | undefined {
  for (const key of SOURCE_KEYS) {
    const name = basename(obj[key]);
    if (name !== undefined) return name;
  }
  return undefined;
}

function readSegment(raw: Obj): TimelineSegment {
  // A segment's name, text or source may sit in the segment or in its metadata (`m`); the
  // segment's own keys win, and a name said in words wins over one taken from a file path.
  const meta = first(raw, SEGMENT_META_KEYS);
  const places = isObj(meta) ? [raw, meta] : [raw];
  const name = places.map(firstName).find((n) => n !== undefined) ?? places.map(firstSourceName).find((n) => n !== undefined);
  const source = places.map((place) => first(place, SOURCE_KEYS)).find((s) => typeof s === "string");
  const startMs = timeMs(first(raw, START_KEYS)) ?? 0;
  const duration = timeMs(first(raw, DURATION_KEYS));
  const end = timeMs(first(raw, END_KEYS));
  const endMs = duration !== undefined ? startMs + duration : end !== undefined && end >= startMs ? end : undefined;
  const segment: TimelineSegment = { startMs };
  if (name !== undefined) segment.name = name;
  if (typeof source === "string" && source.length > 0 && source.length <= MAX_SOURCE) segment.source = source;
  if (endMs !== undefined) segment.endMs = endMs;
  const volume = places.map((place) => readVolume(first(place, VOLUME_KEYS))).find((v) => v !== undefined);
  if (volume !== undefined) segment.volume = volume;
  return segment;
}

/** 0..1 as a fraction; 1..100 as a percentage. */
function readVolume(value: unknown): number | undefined {
  const n = num(value);
  if (n === undefined || n < 0) return undefined;
  if (n <= 1) return n;
  if (n <= 100) return n / 100;
  return undefined;
}

const CAPTION_HINT = /caption|subtitle|字幕/i;

function trackKind(raw: Obj): TrackKind {
  const type = first(raw, ["tt", "type", "trackType"]);
  const hint = [raw.k, raw.kind, raw.name, raw.role, raw.tag].find((v) => typeof v === "string");
  const captions = typeof hint === "string" && CAPTION_HINT.test(hint.slice(0, 100));
  let kind: TrackKind = "other";
  const code = num(type);
  if (code === 0) kind = "video";
  else if (code === 1) kind = "audio";
  else if (code === 7) kind = "text";
  else if (typeof type === "string") {
    const word = type.slice(0, 40).toLowerCase();
    if (CAPTION_HINT.test(word)) kind = "captions";
    else if (/video|image|photo|visual/.test(word)) kind = "video";
    else if (/audio|music|bgm|sound|voice/.test(word)) kind = "audio";
    else if (/text|title/.test(word)) kind = "text";
  }
  // A caption hint names a text track, or a track of no known type; it never turns video into captions.
  if (captions && (kind === "text" || kind === "other")) kind = "captions";
  return kind;
}

function readTrack(raw: Obj): TimelineTrack {
  const list = first(raw, ["sg", "segments", "items", "clips"]);
  const items = Array.isArray(list) ? list : [];
  const segments: TimelineSegment[] = [];
  const limit = Math.min(items.length, MAX_SEGMENTS);
  for (let i = 0; i < limit; i++) {
    const item: unknown = items[i];
    if (isObj(item)) segments.push(readSegment(item));
  }
  const segmentCount = segments.length + Math.max(0, items.length - limit);
  return { kind: trackKind(raw), segments, segmentCount };
}

function parseDraft(draft: unknown): unknown {
  if (typeof draft !== "string") return draft;
  // Some backends hand the draft over as a JSON string.
  if (draft.length > MAX_DRAFT_STRING) return undefined;
  try {
    return JSON.parse(draft) as unknown;
  } catch {
    return undefined;
  }
}

/** Math.max/min over a list without spreading it into arguments (which overflows on long lists). */
function maxOf(values: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const v of values) if (best === undefined || v > best) best = v;
  return best;
}

function minOf(values: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const v of values) if (best === undefined || v < best) best = v;
  return best;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y > 0) [x, y] = [y, x % y];
  return x;
}

function ratioOf(width: number | undefined, height: number | undefined): string | undefined {
  if (width === undefined || height === undefined) return undefined;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) return undefined;
  const g = gcd(width, height);
  const w = width / g;
  const h = height / g;
  // 683:384 helps nobody; only small, familiar ratios are worth naming.
  return w <= 32 && h <= 32 ? `${w}:${h}` : undefined;
}

/** The draft as a timeline, or undefined when it is not a draft at all. Never throws. */
export function readDraft(draft: unknown): Timeline | undefined {
  const root = parseDraft(draft);
  if (!isObj(root)) return undefined;
  const rawTracks = first(root, ["t", "tracks"]);
  const list = Array.isArray(rawTracks) ? rawTracks : [];
  const tracks: TimelineTrack[] = [];
  const limit = Math.min(list.length, MAX_TRACKS);
  for (let i = 0; i < limit; i++) {
    const item: unknown = list[i];
    if (isObj(item)) tracks.push(readTrack(item));
  }
  const timeline: Timeline = { tracks, trackCount: tracks.length + Math.max(0, list.length - limit) };

  const duration = timeMs(first(root, ["d", "duration", "dur"]));
  const latest = maxOf(tracks.flatMap((t) => t.segments.map((s) => s.endMs ?? s.startMs)));
  const durationMs = duration ?? (latest !== undefined && latest > 0 ? latest : undefined);
  if (durationMs !== undefined) timeline.durationMs = durationMs;

  const meta = first(root, ["m", "meta", "metadata"]);
  if (isObj(meta)) {
    const title = cleanText(first(meta, ["title", "name"]));
    if (title !== undefined) timeline.title = title;
    const width = num(first(meta, ["width", "w"]));
    const height = num(first(meta, ["height", "h"]));
    if (width !== undefined && width > 0 && width < 100_000) timeline.width = Math.round(width);
    if (height !== undefined && height > 0 && height < 100_000) timeline.height = Math.round(height);
    const said = first(meta, ["ratio", "aspect", "aspectRatio", "aspect_ratio"]);
    const ratio =
      typeof said === "string" && /^\s*\d{1,3}(\.\d+)?\s*[:x/]\s*\d{1,3}(\.\d+)?\s*$/.test(said)
        ? said.replace(/\s+/g, "").replace(/[x/]/, ":")
        : ratioOf(timeline.width, timeline.height);
    if (ratio !== undefined) timeline.ratio = ratio;
  }
  return timeline;
}

/** The contract's rule: at least one track with a non-empty `sg`. */
export function isExportReady(draft: unknown): boolean {
  const root = parseDraft(draft);
  if (!isObj(root) || !Array.isArray(root.t)) return false;
  const limit = Math.min(root.t.length, MAX_TRACKS * 10);
  for (let i = 0; i < limit; i++) {
    const track: unknown = root.t[i];
    if (isObj(track) && Array.isArray(track.sg) && track.sg.length > 0) return true;
  }
  return false;
}

// --- words ---

/** Seconds with at most one decimal ("2.5"), or m:ss when `clock`. */
function formatTime(ms: number, clock: boolean): string {
  if (clock) {
    const total = Math.round(ms / 1000);
    const minutes = Math.floor(total / 60);
    return `${minutes}:${String(total % 60).padStart(2, "0")}`;
  }
  return String(Math.round(ms / 100) / 10);
}

function formatSpan(m: Messages, startMs: number, endMs: number | undefined): string | undefined {
  if (endMs === undefined) {
    if (startMs <= 0) return undefined;
    const clock = startMs >= 60_000;
    return m.timelineFrom({ from: formatTime(startMs, clock), clock });
  }
  const clock = endMs >= 60_000;
  return m.timelineSpan({ from: formatTime(startMs, clock), to: formatTime(endMs, clock), clock });
}

function formatLength(m: Messages, ms: number): string {
  const clock = ms >= 60_000;
  return m.timelineLength({ length: formatTime(ms, clock), clock });
}

const TRACK_LABEL: Record<TrackKind, keyof Messages> = {
  video: "timelineTrackVideo",
  audio: "timelineTrackAudio",
  text: "timelineTrackText",
  captions: "timelineTrackCaptions",
  other: "timelineTrackOther",
};

function label(m: Messages, kind: TrackKind): string {
  const value = m[TRACK_LABEL[kind]];
  return typeof value === "string" ? value : kind;
}

function describeSegment(m: Messages, kind: TrackKind, segment: TimelineSegment): string {
  const parts: string[] = [];
  const span = formatSpan(m, segment.startMs, segment.endMs);
  if (span !== undefined) parts.push(span);
  if (kind === "audio" && segment.volume !== undefined) parts.push(`${Math.round(segment.volume * 100)}%`);
  const details = parts.length > 0 ? m.timelineDetails({ parts }) : "";
  let name: string;
  if (kind === "text") name = m.timelineQuote({ text: segment.name ?? "…" });
  else if (kind === "audio") name = segment.name ?? m.timelineUnnamedAudio;
  else name = segment.name ?? m.timelineUnnamedClip;
  return `${name}${details}`;
}

function describeTrack(m: Messages, track: TimelineTrack): string {
  if (track.segmentCount === 0) return m.timelineNoSegments;
  if (track.kind === "captions") {
    const start = minOf(track.segments.map((s) => s.startMs));
    const end = maxOf(track.segments.map((s) => s.endMs ?? s.startMs));
    const span =
      start === undefined ? undefined : formatSpan(m, start, end !== undefined && end > start ? end : undefined);
    const lines = m.timelineCaptionLines({ count: track.segmentCount });
    return span === undefined ? lines : `${lines}${m.timelineDetails({ parts: [span] })}`;
  }
  const shown = track.segments.slice(0, SHOWN_SEGMENTS).map((s) => describeSegment(m, track.kind, s));
  const hidden = track.segmentCount - shown.length;
  if (hidden > 0) shown.push(m.timelineMoreSegments({ count: hidden }));
  return shown.join(m.timelineItemSeparator);
}

/**
 * The seeds' track summary, one track per line:
 * `Timeline (3 tracks):` / `1. Video: city timelapse (0-10s)` / `2. BGM: Lo-fi (0-10s, 35%)` / …
 */
export function summarizeTimeline(draft: unknown, locale: Locale): string {
  const m = messages(locale);
  const timeline = readDraft(draft);
  if (timeline === undefined || !timeline.tracks.some((t) => t.segmentCount > 0)) return m.timelineEmpty;
  const lines = [m.timelineHeader({ count: timeline.trackCount })];
  timeline.tracks.slice(0, SHOWN_TRACKS).forEach((track, i) => {
    lines.push(m.timelineLine({ index: i + 1, label: label(m, track.kind), items: describeTrack(m, track) }));
  });
  const hiddenTracks = timeline.trackCount - Math.min(timeline.tracks.length, SHOWN_TRACKS);
  if (hiddenTracks > 0) lines.push(m.timelineMoreTracks({ count: hiddenTracks }));
  const footer: string[] = [];
  if (timeline.durationMs !== undefined) footer.push(formatLength(m, timeline.durationMs));
  if (timeline.ratio !== undefined) footer.push(timeline.ratio);
  if (footer.length > 0) lines.push(m.timelineFooter({ parts: footer }));
  return lines.join("\n");
}

// --- changes ---

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
  if (added.length > SHOWN_SEGMENTS) out.push(m.changeClipsAdded({ count: added.length }));
  else for (const name of added) out.push(m.changeClipAdded(name ? { name } : {}));
  if (removed.length > SHOWN_SEGMENTS) out.push(m.changeClipsRemoved({ count: removed.length }));
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
