/**
 * What the picture is drawn from: a plain timeline, as the draft reader produces it (tracks of
 * segments in ms). Nothing here knows NemoVideo's draft keys, so the reader can move or change.
 */

export type PictureTrackKind = "video" | "audio" | "text" | "captions" | "other";

export interface PictureSegment {
  /** The clip's or music's name, or the title's or caption's text. */
  name?: string;
  startMs: number;
  endMs?: number;
  /** 0..1 */
  volume?: number;
  /** Where the clip comes from (a URL or file name): the key of its thumbnail. */
  source?: string;
}

export interface PictureTrack {
  kind: PictureTrackKind;
  segments: readonly PictureSegment[];
  /** How many segments the track really has (more than `segments` when the reader capped them). */
  segmentCount: number;
}

export interface PictureTimeline {
  tracks: readonly PictureTrack[];
  trackCount: number;
  durationMs?: number;
  title?: string;
  width?: number;
  height?: number;
  /** "9:16" */
  ratio?: string;
}

/** The words the picture shows, in the reader's language. */
export interface PictureWords {
  heading: string;
  lane: Record<PictureTrackKind, string>;
  unnamedClip: string;
  unnamedAudio: string;
  /** "30% vol" */
  volume: (percent: number) => string;
  /** "12.5s", "1:05" */
  length: (ms: number) => string;
  /** "+3 more tracks" */
  moreTracks: (count: number) => string;
}
