import { ratioFromSize, type Ratio } from "./draft.js";
import { isObject } from "./http.js";
import type { EmulatedUpload } from "./types.js";

/**
 * What a render makes, read from the draft the client sent back (leniently: the short keys the
 * emulator writes, and the long names a hand-made draft might use).
 */
export interface RenderPlan {
  width: number;
  height: number;
  seconds: number;
  visual:
    | { kind: "video"; path: string; offsetSeconds: number; hasAudio: boolean }
    | { kind: "images"; items: Array<{ path: string; seconds: number }> }
    | { kind: "synthetic" };
  title?: string;
  music?: { path: string; volume: number };
}

/** Renders stay small and quick: they prove the pipeline, not the picture. */
const SIZES: Record<Ratio, { width: number; height: number }> = {
  "9:16": { width: 360, height: 640 },
  "1:1": { width: 480, height: 480 },
  "16:9": { width: 640, height: 360 },
};
export const MAX_RENDER_SECONDS = 60;

type Lookup = (src: string) => EmulatedUpload | undefined;

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}
function num(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) return v;
  return undefined;
}
function str(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return undefined;
}

/** True when some track has a segment: the contract's "ready for export". */
export function draftHasSegments(draft: unknown): boolean {
  if (!isObject(draft)) return false;
  return list(draft.t ?? draft.tracks).some((track) => list(track.sg ?? track.segments).length > 0);
}

export function planRender(draft: Record<string, unknown>, lookup: Lookup): RenderPlan {
  const tracks = list(draft.t ?? draft.tracks);
  const meta = isObject(draft.m) ? draft.m : isObject(draft.metadata) ? draft.metadata : {};
  const typeOf = (track: Record<string, unknown>) => num(track.tt, track.type, track.track_type);
  const segmentsOf = (track: Record<string, unknown>) => list(track.sg ?? track.segments);

  const ratioText = str(meta.ratio);
  const ratio: Ratio =
    ratioText === "9:16" || ratioText === "1:1" || ratioText === "16:9"
      ? ratioText
      : ratioFromSize(num(meta.width) ?? 1920, num(meta.height) ?? 1080);
  const { width, height } = SIZES[ratio];

  const visualSegments = tracks.filter((t) => typeOf(t) === 0).flatMap(segmentsOf);
  const durationMs = num(draft.d, draft.duration) ?? visualSegments.reduce((acc, s) => acc + (num(s.d, s.duration) ?? 0), 0);
  const seconds = Math.min(MAX_RENDER_SECONDS, Math.max(1, durationMs / 1000));

  let visual: RenderPlan["visual"] = { kind: "synthetic" };
  const resolved = visualSegments.map((s) => ({ segment: s, file: lookup(str(s.src, s.url) ?? "") }));
  const firstVideo = resolved.find((r) => r.file?.fileType === "video" && r.file.path);
  const images = resolved.filter((r) => r.file?.fileType === "image" && r.file.path);
  if (firstVideo) {
    visual = {
      kind: "video",
      path: firstVideo.file!.path!,
      offsetSeconds: (num(firstVideo.segment.ss, firstVideo.segment.source_start) ?? 0) / 1000,
      hasAudio: firstVideo.file!.hasAudio,
    };
  } else if (images.length > 0) {
    visual = {
      kind: "images",
      items: images.map((r) => ({ path: r.file!.path!, seconds: Math.max(0.5, (num(r.segment.d, r.segment.duration) ?? 3000) / 1000) })),
    };
  }

  const plan: RenderPlan = { width, height, seconds, visual };
  const textTracks = tracks.filter((t) => typeOf(t) === 7 && t.k !== "captions" && t.kind !== "captions");
  const title = str(meta.title) ?? str(...textTracks.flatMap(segmentsOf).map((s) => s.txt ?? s.text));
  if (title) plan.title = title;
  const audioSegment = tracks.filter((t) => typeOf(t) === 1).flatMap(segmentsOf)[0];
  const audioFile = audioSegment ? lookup(str(audioSegment.src, audioSegment.url) ?? "") : undefined;
  if (audioSegment && audioFile?.path) plan.music = { path: audioFile.path, volume: num(audioSegment.v, audioSegment.volume) ?? 1 };
  return plan;
}
