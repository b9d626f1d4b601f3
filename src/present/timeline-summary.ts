import type { Locale } from "../chat/message.js";
import { messages, type Messages } from "../i18n/index.js";
import { readDraft, type TimelineSegment, type TimelineTrack, type TrackKind } from "../nemo/draft.js";
import { formatLength, formatSpan, maxOf, minOf } from "./timeline-words.js";

/** The timeline in words: the seeds' track summary, from the draft reader's model. */

const SHOWN_SEGMENTS = 3;
const SHOWN_TRACKS = 20;

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
