/**
 * A typed, tolerant view of NemoVideo's short-key draft (`t` tracks, `tt` track type, `sg`
 * segments, `d` duration in ms, `m` metadata). Segment keys are not public, so every field is read
 * from several candidate keys and anything unreadable is skipped, never thrown on. The draft itself
 * is passed back to export untouched; this view is what the words and the picture about a project
 * are made from (src/present/). It holds no words itself.
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

/** The draft as a value: some backends hand it over as a JSON string. Undefined when unreadable. */
export function parseDraft(draft: unknown): unknown {
  if (typeof draft !== "string") return draft;
  if (draft.length > MAX_DRAFT_STRING) return undefined;
  try {
    return JSON.parse(draft) as unknown;
  } catch {
    return undefined;
  }
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
  // The latest end of any segment, in a loop: spreading a long list into Math.max overflows.
  let latest: number | undefined;
  for (const track of tracks) for (const s of track.segments) latest = Math.max(latest ?? 0, s.endMs ?? s.startMs);
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
