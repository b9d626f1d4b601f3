import { describe, expect, it } from "vitest";
import { emptyDraft, toShortKeys, type DraftModel } from "../../src/emulator/draft.js";
import { planRender } from "../../src/emulator/render-plan.js";
import type { EmulatedUpload } from "../../src/emulator/types.js";

/** How a render reads a draft: the emulator's own short keys, and the long names a hand-made draft may use. */

function upload(id: string, fileType: EmulatedUpload["fileType"], extra: Partial<EmulatedUpload> = {}): EmulatedUpload {
  return {
    fileId: id,
    filename: `${id}.bin`,
    fileType,
    cdnUrl: `http://127.0.0.1:1/cdn/u/${id}/${id}.bin`,
    duration: 3,
    width: 320,
    height: 240,
    fps: 25,
    hash: id,
    size: 1,
    hasAudio: true,
    audioChannels: 2,
    path: `/media/${id}`,
    ...extra,
  };
}
const FILES = new Map([
  ["aaaa", upload("aaaa", "video")],
  ["bbbb", upload("bbbb", "video", { audioChannels: 1 })],
  ["cccc", upload("cccc", "image")],
  ["dddd", upload("dddd", "audio")],
]);
const lookup = (src: string) => FILES.get(/\/cdn\/u\/([a-z]+)\//.exec(src)?.[1] ?? "");
const src = (id: string) => FILES.get(id)!.cdnUrl;

describe("what a render makes of a draft", () => {
  it("reads every edit of the emulator's own draft: order, trims, speed, mute, fades, text, music", () => {
    const model: DraftModel = {
      ...emptyDraft(),
      clips: [
        { id: "a", name: "a.mp4", kind: "video", sourceOffsetMs: 500, usedMs: 1000, sourceMs: 3000, src: src("aaaa"), speed: 1, muted: true },
        { id: "b", name: "b.mp4", kind: "video", sourceOffsetMs: 0, usedMs: 3000, sourceMs: 3000, src: src("bbbb"), speed: 2, muted: false },
      ],
      ratio: "9:16",
      fit: "pad",
      title: "Beach Day",
      captions: ["one", "two"],
      music: { id: "m", name: "Chill Acoustic", volume: 0.3 },
      fadeIn: true,
      fadeOut: true,
    };
    const plan = planRender(toShortKeys(model, "en"), lookup);
    expect(plan).toMatchObject({ width: 360, height: 640, fit: "pad", seconds: 2.5 });
    expect(plan.segments).toEqual([
      { source: { kind: "video", path: "/media/aaaa", offset: 0.5, hasAudio: true, mono: false }, seconds: 1, speed: 1, volume: 0, fadeIn: 0.5, fadeOut: 0 },
      { source: { kind: "video", path: "/media/bbbb", offset: 0, hasAudio: true, mono: true }, seconds: 1.5, speed: 2, volume: 1, fadeIn: 0, fadeOut: 0.75 },
    ]);
    expect(plan.texts).toEqual([
      { text: "Beach Day", role: "title", start: 0, end: 2.5 },
      { text: "one", role: "caption", start: 0, end: 1.25 },
      { text: "two", role: "caption", start: 1.25, end: 2.5 },
    ]);
    expect(plan.music).toEqual([{ source: { kind: "bed", name: "Chill Acoustic" }, volume: 0.3, start: 0, end: 2.5, fadeIn: 0.625, fadeOut: 0.625 }]);
  });

  it("reads a hand-made draft with long names, in timeline order, with gaps left black", () => {
    const plan = planRender(
      {
        tracks: [
          {
            type: 0,
            segments: [
              { url: src("cccc"), start: 3000, duration: 1000 },
              { url: src("aaaa"), start: 0, duration: 2000, source_start: 1000 },
            ],
          },
          { type: 1, segments: [{ url: src("dddd"), start: 0, duration: 4000, volume: 50 }] },
          { type: 7, kind: "subtitles", segments: [{ text: "hi", start: 500, duration: 1000 }] },
        ],
        metadata: { ratio: "1:1", fit: "letterbox", title: "Ignored while a text track is there" },
      },
      lookup,
    );
    expect(plan).toMatchObject({ width: 480, height: 480, fit: "pad", seconds: 4 });
    expect(plan.segments.map((s) => [s.source.kind, s.seconds])).toEqual([
      ["video", 2],
      ["blank", 1],
      ["image", 1],
    ]);
    expect(plan.segments[0]!.source).toMatchObject({ offset: 1 });
    expect(plan.music).toEqual([{ source: { kind: "file", path: "/media/dddd", mono: false }, volume: 0.5, start: 0, end: 4, fadeIn: 0, fadeOut: 0 }]);
    expect(plan.texts).toEqual([{ text: "hi", role: "caption", start: 0.5, end: 1.5 }]);
  });

  it("cuts at the draft's length, draws a title given only in `m`, and shows a pattern for media it has no pixels for", () => {
    const plan = planRender(
      { t: [{ tt: 0, sg: [{ src: "https://elsewhere.example/x.mp4", s: 0, d: 5000 }] }], d: 2000, m: { title: "From m", width: 1920, height: 1080 } },
      lookup,
    );
    expect(plan).toMatchObject({ width: 640, height: 360, seconds: 2, fit: "crop" });
    expect(plan.segments).toEqual([{ source: { kind: "pattern" }, seconds: 2, speed: 1, volume: 1, fadeIn: 0, fadeOut: 0 }]);
    expect(plan.texts).toEqual([{ text: "From m", role: "title", start: 0, end: 2 }]);
  });

  it("reads a segment's text from its `m` too, as the contract allows", () => {
    const plan = planRender({ t: [{ tt: 0, sg: [{ src: src("aaaa"), s: 0, d: 3000 }] }, { tt: 7, sg: [{ s: 0, d: 1000, m: { text: "in m" } }] }] }, lookup);
    expect(plan.texts).toEqual([{ text: "in m", role: "title", start: 0, end: 1 }]);
  });
});
