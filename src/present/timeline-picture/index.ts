import { loadImage, type Image } from "@napi-rs/canvas";
import { layoutTimeline } from "./layout.js";
import type { PictureTimeline, PictureWords } from "./model.js";
import { renderLayout } from "./render.js";

export type { PictureSegment, PictureTimeline, PictureTrack, PictureTrackKind, PictureWords } from "./model.js";
export { pictureWords } from "./words.js";

export interface TimelinePicture {
  png: Buffer;
  width: number;
  height: number;
}

export interface PictureOptions {
  words: PictureWords;
  /** Small images (JPEG or PNG bytes) by segment source or name; a clip without one gets a placeholder. */
  thumbnails?: ReadonlyMap<string, Buffer>;
}

async function decodeThumbnails(timeline: PictureTimeline, bytes: ReadonlyMap<string, Buffer> | undefined): Promise<Map<string, Image>> {
  const out = new Map<string, Image>();
  if (!bytes || bytes.size === 0) return out;
  const wanted = new Set(timeline.tracks.flatMap((t) => (t.kind === "video" ? t.segments.flatMap((s) => [s.source, s.name]) : [])));
  await Promise.all(
    [...bytes].map(async ([source, data]) => {
      if (!wanted.has(source)) return;
      try {
        out.set(source, await loadImage(data));
      } catch {
        // An undecodable thumbnail is no reason to lose the picture: that clip gets the placeholder.
      }
    }),
  );
  return out;
}

/**
 * The timeline as a PNG: one lane per track on a shared time axis, a header with the frame's ratio
 * and the length. Undefined when the timeline has nothing to draw (no segment, no length): the
 * caller then answers with the text summary.
 */
export async function renderTimelinePicture(timeline: PictureTimeline, options: PictureOptions): Promise<TimelinePicture | undefined> {
  const layout = layoutTimeline(timeline);
  if (!layout) return undefined;
  const thumbnails = await decodeThumbnails(timeline, options.thumbnails);
  const png = renderLayout({ timeline, layout, words: options.words, thumbnails });
  return { png, width: layout.width, height: layout.height };
}
