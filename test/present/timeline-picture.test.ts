import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { readDraft } from "../../src/nemo/draft.js";
import { layoutTimeline } from "../../src/present/timeline-picture/layout.js";
import { pictureWords, renderTimelinePicture } from "../../src/present/timeline-picture/index.js";
import { shrinkThumbnail } from "../../src/present/thumbnails.js";
import { beachDraft, chineseDraft, manyClipsDraft, thumbnailJpeg } from "./drafts.js";

/**
 * The timeline picture against golden images. Antialiasing may differ a little between machines
 * (Skia versions, CPUs), so images are compared with pixelmatch's per-pixel threshold and a small
 * share of differing pixels; a changed layout, colour, missing glyph or lost label is far above it.
 * `UPDATE_GOLDEN=1 npx vitest run test/present/timeline-picture.test.ts` writes them anew.
 */

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), "golden");
const MAX_DIFFERING_SHARE = 0.002;
const MAX_PNG_BYTES = 200 * 1024;

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

function expectMatchesGolden(name: string, png: Buffer): void {
  const path = join(GOLDEN_DIR, `${name}.png`);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, png);
    if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`golden image ${name}.png was missing and has been written: check it and run again`);
  }
  const expected = decode(readFileSync(path));
  const actual = decode(png);
  expect({ width: actual.width, height: actual.height }).toEqual({ width: expected.width, height: expected.height });
  const diff = new PNG({ width: expected.width, height: expected.height });
  const differing = pixelmatch(expected.data, actual.data, diff.data, expected.width, expected.height, { threshold: 0.1 });
  if (differing / (expected.width * expected.height) > MAX_DIFFERING_SHARE) {
    writeFileSync(join(GOLDEN_DIR, `${name}.actual.png`), png);
    writeFileSync(join(GOLDEN_DIR, `${name}.diff.png`), PNG.sync.write(diff));
  }
  expect(differing / (expected.width * expected.height)).toBeLessThanOrEqual(MAX_DIFFERING_SHARE);
}

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * png.width + Math.round(x)) * 4;
  return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0];
}

async function picture(draft: unknown, locale: "en" | "zh-CN", thumbnails?: Map<string, Buffer>) {
  const timeline = readDraft(draft);
  if (!timeline) throw new Error("the test draft did not read");
  const result = await renderTimelinePicture(timeline, { words: pictureWords(locale), ...(thumbnails ? { thumbnails } : {}) });
  if (!result) throw new Error("no picture");
  return result;
}

describe("the timeline picture", () => {
  it("draws every track as a lane, with names, lengths, the music's volume, the frame and a thumbnail (golden)", async () => {
    const thumb = await shrinkThumbnail(thumbnailJpeg("#ff3b30", "#ffcc00"));
    const result = await picture(beachDraft, "en", new Map([["https://cdn.example/u/a.mp4", thumb]]));
    expect(result.png.length).toBeLessThanOrEqual(MAX_PNG_BYTES);
    expectMatchesGolden("timeline-en", result.png);
  });

  it("draws Chinese titles, names and lanes with the shipped font, long names ellipsized (golden)", async () => {
    const result = await picture(chineseDraft, "zh-CN");
    expect(result.png.length).toBeLessThanOrEqual(MAX_PNG_BYTES);
    expectMatchesGolden("timeline-zh", result.png);
  });

  it("keeps 50 clips readable by wrapping the timeline onto rows of one scale (golden)", async () => {
    const result = await picture(manyClipsDraft(50), "en");
    expect(result.png.length).toBeLessThanOrEqual(MAX_PNG_BYTES);
    expectMatchesGolden("timeline-50-clips", result.png);
  });

  it("puts the kept thumbnail on its clip and a neutral placeholder on a clip without one", async () => {
    const thumb = await shrinkThumbnail(thumbnailJpeg("#ff0000", "#ff0000"));
    const timeline = readDraft(beachDraft)!;
    const layout = layoutTimeline(timeline)!;
    const [first, second] = layout.rows[0]!.lanes[0]!.blocks;
    const png = decode((await picture(beachDraft, "en", new Map([["https://cdn.example/u/a.mp4", thumb]]))).png);
    // Inside the first clip's thumbnail box (its left 4 px inset, then 8 px in): red.
    const [r, g, b] = pixel(png, first!.x + 12, first!.y + first!.height / 2);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
    // The second clip has none: the placeholder's blue-grey, not red.
    const [r2, , b2] = pixel(png, second!.x + 12, second!.y + 10);
    expect(b2).toBeGreaterThan(r2);
  });

  it("finds a thumbnail by the clip's name when the draft gives no source", async () => {
    const thumb = await shrinkThumbnail(thumbnailJpeg("#00ff00", "#00ff00"));
    const layout = layoutTimeline(readDraft(chineseDraft)!)!;
    const block = layout.rows[0]!.lanes[0]!.blocks[0]!;
    const png = decode((await picture(chineseDraft, "zh-CN", new Map([["海边日落.mp4", thumb]]))).png);
    const [r, g] = pixel(png, block.x + 10, block.y + block.height / 2);
    expect(g).toBeGreaterThan(200);
    expect(r).toBeLessThan(60);
  });

  it("gives up (so the caller answers in words) on a timeline with nothing to draw", async () => {
    const words = pictureWords("en");
    expect(await renderTimelinePicture({ tracks: [], trackCount: 0 }, { words })).toBeUndefined();
    expect(await renderTimelinePicture(readDraft({ t: [{ tt: 0, sg: [] }], d: 5000 })!, { words })).toBeUndefined();
    // Segments without any length or time: no axis to put them on.
    expect(await renderTimelinePicture(readDraft({ t: [{ tt: 0, sg: [{ n: "a" }] }] })!, { words })).toBeUndefined();
  });

  it("ignores an undecodable thumbnail instead of failing the picture", async () => {
    const result = await picture(beachDraft, "en", new Map([["https://cdn.example/u/a.mp4", Buffer.from("not an image")]]));
    expect(result.png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});

describe("the timeline picture's layout", () => {
  it("one lane per track in a fixed order: video, music, titles, captions", () => {
    const layout = layoutTimeline(readDraft(beachDraft)!)!;
    expect(layout.rows).toHaveLength(1);
    expect(layout.rows[0]!.lanes.map((l) => l.kind)).toEqual(["video", "audio", "text", "captions"]);
  });

  it.each([1, 2, 10, 25, 50])("gives each of %i clips a block wide enough for a thumbnail and a name", (count) => {
    const layout = layoutTimeline(readDraft(manyClipsDraft(count))!)!;
    const blocks = layout.rows.flatMap((r) => r.lanes.filter((l) => l.kind === "video").flatMap((l) => l.blocks));
    // Every clip is shown, split at most once over a row break.
    expect(new Set(blocks.map((b) => b.index)).size).toBe(count);
    const whole = blocks.filter((b) => !b.continuesLeft && !b.continuesRight);
    expect(Math.min(...whole.map((b) => b.width))).toBeGreaterThanOrEqual(100);
    // Every row has the same scale: a 2 s clip is as wide in the last row as in the first.
    const widths = new Set(whole.map((b) => Math.round(b.width)));
    expect(widths.size).toBe(1);
  });

  it("counts tracks it could not draw", () => {
    const tracks = Array.from({ length: 11 }, (_, i) => ({ tt: 7, sg: [{ txt: `t${i}`, s: 0, d: 1000 }] }));
    const layout = layoutTimeline(readDraft({ t: tracks, d: 1000 })!)!;
    expect(layout.rows[0]!.lanes).toHaveLength(8);
    expect(layout.hiddenTracks).toBe(3);
  });
});
