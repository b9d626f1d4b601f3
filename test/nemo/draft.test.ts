import { describe, expect, it } from "vitest";
import { isExportReady, readDraft } from "../../src/nemo/draft.js";
import { metaNamedDraft, seedDraft } from "../helpers/seed-draft.js";

describe("readDraft", () => {
  it("reads the emulator's draft into tracks, segments, length and frame", () => {
    const timeline = readDraft(seedDraft());
    expect(timeline).toEqual({
      tracks: [
        { kind: "video", segmentCount: 1, segments: [{ name: "city timelapse", startMs: 0, endMs: 10_000, source: "https://cdn.example/city.mp4" }] },
        { kind: "audio", segmentCount: 1, segments: [{ name: "Lo-fi", startMs: 0, endMs: 10_000, volume: 0.35 }] },
        { kind: "text", segmentCount: 1, segments: [{ name: "Urban Dreams", startMs: 0, endMs: 3000 }] },
      ],
      trackCount: 3,
      durationMs: 10_000,
      width: 1080,
      height: 1920,
      ratio: "9:16",
    });
  });

  it.each([
    ["long keys", { name: "a.mp4", start: 1000, duration: 2000, volume: 80 }, { name: "a.mp4", startMs: 1000, endMs: 3000, volume: 0.8 }],
    ["start and end", { title: "b", st: "500", e: 1500 }, { name: "b", startMs: 500, endMs: 1500 }],
    ["startTime and len", { label: "c", startTime: 0, len: 4000, vol: 1 }, { name: "c", startMs: 0, endMs: 4000, volume: 1 }],
    ["text only", { text: "Hello" }, { name: "Hello", startMs: 0 }],
    ["name from the source URL", { src: "https://cdn.example/u/My%20Trip.mp4?sig=abc", s: 0, dur: 10 }, { name: "My Trip.mp4", startMs: 0, endMs: 10, source: "https://cdn.example/u/My%20Trip.mp4?sig=abc" }],
    ["name from a path", { url: "C:\\clips\\beach.mov" }, { name: "beach.mov", startMs: 0, source: "C:\\clips\\beach.mov" }],
    ["negative and junk numbers", { n: "x", s: -5, d: "NaN", v: 400 }, { name: "x", startMs: 0 }],
    ["an end before the start", { n: "y", s: 5000, end: 1000 }, { name: "y", startMs: 5000 }],
  ])("reads segment keys leniently: %s", (_label, segment, expected) => {
    const timeline = readDraft({ t: [{ tt: 0, sg: [segment] }] });
    expect(timeline?.tracks[0]?.segments[0]).toEqual(expected);
  });

  it("tells captions from titles and knows string track types", () => {
    const timeline = readDraft({
      t: [
        { tt: 7, k: "captions", sg: [] },
        { tt: 7, sg: [] },
        { type: "audio", sg: [] },
        { type: "subtitles", sg: [] },
        { tt: 3, sg: [] },
        { tt: 0, k: "captions", sg: [] },
      ],
    });
    expect(timeline?.tracks.map((t) => t.kind)).toEqual(["captions", "text", "audio", "captions", "other", "video"]);
  });

  it("keeps names on one line and short", () => {
    const timeline = readDraft({ t: [{ tt: 7, sg: [{ txt: `Line one\nline two\u0000 ${"x".repeat(500)}` }] }] });
    const name = timeline?.tracks[0]?.segments[0]?.name ?? "";
    expect(name).not.toContain("\n");
    expect(name).not.toContain("\u0000");
    expect(name.startsWith("Line one line two")).toBe(true);
    expect(name.length).toBeLessThanOrEqual(80);
  });

  it("derives the ratio from width and height when the draft names none", () => {
    expect(readDraft({ t: [], m: { width: 1920, height: 1080 } })?.ratio).toBe("16:9");
    expect(readDraft({ t: [], m: { width: 1080, height: 1350 } })?.ratio).toBe("4:5");
    expect(readDraft({ t: [], m: { width: 1366, height: 768 } })?.ratio).toBeUndefined();
  });

  it("reads a draft sent as a JSON string", () => {
    expect(readDraft(JSON.stringify(seedDraft()))?.tracks).toHaveLength(3);
  });

  it.each([null, undefined, 42, "not json", [], [1, 2], true])("is undefined for %j", (value) => {
    expect(readDraft(value)).toBeUndefined();
  });

  it("reads a huge track only up to its cap but counts all of it", () => {
    const sg = Array.from({ length: 10_000 }, (_, i) => ({ n: `c${i}`, s: i * 1000, d: 1000 }));
    const timeline = readDraft({ t: [{ tt: 0, sg }] });
    expect(timeline?.tracks[0]?.segmentCount).toBe(10_000);
    expect(timeline?.tracks[0]?.segments.length).toBeLessThan(10_000);
  });
});

describe("names kept in a segment's metadata", () => {
  it("reads names, sources and volumes from `m`, the segment's own keys first", () => {
    const timeline = readDraft(metaNamedDraft());
    expect(timeline?.tracks.map((t) => t.segments[0])).toEqual([
      { name: "city timelapse", startMs: 0, endMs: 10_000, source: "https://cdn.example/city.mp4" },
      { name: "Lo-fi", startMs: 0, endMs: 10_000, volume: 0.35 },
      { name: "Urban Dreams", startMs: 0, endMs: 3000 },
    ]);
    const both = readDraft({ t: [{ tt: 0, sg: [{ n: "own name", src: "a/own.mp4", m: { name: "meta name", src: "b/meta.mp4" } }] }] });
    expect(both?.tracks[0]?.segments[0]).toMatchObject({ name: "own name", source: "a/own.mp4" });
    const pathOnly = readDraft({ t: [{ tt: 0, sg: [{ src: "u/IMG_0042.mp4", m: { title: "Harbour at dawn" } }] }] });
    expect(pathOnly?.tracks[0]?.segments[0]?.name).toBe("Harbour at dawn");
    const metaPath = readDraft({ t: [{ tt: 0, sg: [{ s: 0, m: { url: "https://cdn.example/u/Trip.mov?sig=1" } }] }] });
    expect(metaPath?.tracks[0]?.segments[0]).toMatchObject({ name: "Trip.mov", source: "https://cdn.example/u/Trip.mov?sig=1" });
  });
});

describe("isExportReady", () => {
  it("needs one track with segments", () => {
    expect(isExportReady(seedDraft())).toBe(true);
    expect(isExportReady({ t: [{ tt: 0, sg: [] }, { tt: 1, sg: [{}] }] })).toBe(true);
    expect(isExportReady({ t: [{ tt: 0, sg: [] }] })).toBe(false);
    expect(isExportReady({ t: [] })).toBe(false);
    expect(isExportReady({})).toBe(false);
    expect(isExportReady({ t: "nope" })).toBe(false);
    expect(isExportReady(undefined)).toBe(false);
  });
});
