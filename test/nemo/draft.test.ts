import { describe, expect, it } from "vitest";
import { describeDraftChanges, isExportReady, readDraft, summarizeTimeline } from "../../src/nemo/draft.js";

/** The draft as the emulator writes it (the seed's example timeline). */
function seedDraft(): Record<string, unknown> {
  return {
    t: [
      { tt: 0, sg: [{ id: "v1", n: "city timelapse", s: 0, d: 10_000, src: "https://cdn.example/city.mp4", ss: 0 }] },
      { tt: 1, sg: [{ n: "Lo-fi", s: 0, d: 10_000, v: 0.35 }] },
      { tt: 7, sg: [{ txt: "Urban Dreams", s: 0, d: 3000 }] },
    ],
    d: 10_000,
    m: { width: 1080, height: 1920, ratio: "9:16" },
  };
}

type Track = { tt: number; k?: string; sg: Array<Record<string, unknown>> };
const tracksOf = (draft: Record<string, unknown>) => draft.t as Track[];

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
  /** The seed's timeline as a backend that keeps every name in the segment's `m` writes it. */
  function metaNamedDraft(title: Record<string, unknown> = { text: "Urban Dreams" }): Record<string, unknown> {
    return {
      t: [
        { tt: 0, sg: [{ id: "v1", st: 0, d: 10_000, m: { name: "city timelapse", src: "https://cdn.example/city.mp4" } }] },
        { tt: 1, sg: [{ id: "a1", st: 0, d: 10_000, m: { label: "Lo-fi", volume: 0.35 } }] },
        { tt: 7, sg: [{ id: "t1", st: 0, d: 3000, m: title }] },
      ],
      d: 10_000,
      m: { width: 1080, height: 1920, ratio: "9:16" },
    };
  }

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

  it("summarises them like the seed's timeline", () => {
    expect(summarizeTimeline(metaNamedDraft(), "en")).toBe(summarizeTimeline(seedDraft(), "en"));
    expect(summarizeTimeline(metaNamedDraft(), "zh-CN")).toBe(summarizeTimeline(seedDraft(), "zh-CN"));
    expect(summarizeTimeline(metaNamedDraft(), "en")).toContain('3. Title: "Urban Dreams" (0-3s)');
  });

  it("names them in the words for a silent edit", () => {
    const plain = metaNamedDraft();
    plain.t = tracksOf(plain).slice(0, 2);
    const summer = metaNamedDraft({ title: "Summer Vibes" });
    expect(describeDraftChanges(plain, summer, "en")).toEqual(['added the title "Summer Vibes"']);
    expect(describeDraftChanges(plain, summer, "zh-CN")).toEqual(["添加了标题“Summer Vibes”"]);
    expect(describeDraftChanges(metaNamedDraft(), summer, "en")).toEqual(['changed the title "Urban Dreams" to "Summer Vibes"']);
    expect(describeDraftChanges({ t: [] }, metaNamedDraft(), "en")).toEqual([
      'added the clip "city timelapse"',
      'added the title "Urban Dreams"',
      'added background music "Lo-fi" at 35%',
    ]);
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

describe("summarizeTimeline", () => {
  it("gives the seed's summary in English, one track per line", () => {
    expect(summarizeTimeline(seedDraft(), "en")).toBe(
      [
        "Timeline (3 tracks):",
        "1. Video: city timelapse (0-10s)",
        "2. BGM: Lo-fi (0-10s, 35%)",
        '3. Title: "Urban Dreams" (0-3s)',
        "Length: 10s · 9:16",
      ].join("\n"),
    );
  });

  it("keeps the seed's one-line content when the lines are joined", () => {
    const oneLine = summarizeTimeline(seedDraft(), "en").split("\n").slice(0, 4).join(" ");
    expect(oneLine).toBe(
      'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)',
    );
  });

  it("gives the same summary in Chinese", () => {
    expect(summarizeTimeline(seedDraft(), "zh-CN")).toBe(
      [
        "时间线（3 条轨道）：",
        "1. 视频：city timelapse（0-10 秒）",
        "2. 背景音乐：Lo-fi（0-10 秒，35%）",
        "3. 标题：“Urban Dreams”（0-3 秒）",
        "时长：10 秒 · 9:16",
      ].join("\n"),
    );
  });

  it("says an empty timeline is empty and how to start, in both languages", () => {
    for (const draft of [undefined, {}, { t: [] }, { t: [{ tt: 0, sg: [] }] }, "garbage"]) {
      expect(summarizeTimeline(draft, "en")).toBe("The timeline is empty — send a clip to start.");
      expect(summarizeTimeline(draft, "zh-CN")).toBe("时间线还是空的——发一个视频片段就能开始。");
    }
  });

  it("shows captions as a count, long clips as m:ss and many segments as a few plus a count", () => {
    const draft = {
      t: [
        { tt: 0, sg: Array.from({ length: 5 }, (_, i) => ({ n: `clip${i + 1}.mp4`, s: i * 30_000, d: 30_000 })) },
        { tt: 7, k: "captions", sg: [{ txt: "Hi", s: 0, d: 2000 }, { txt: "there", s: 2000, d: 2500 }] },
        { tt: 1, sg: [] },
      ],
      d: 150_000,
    };
    expect(summarizeTimeline(draft, "en")).toBe(
      [
        "Timeline (3 tracks):",
        "1. Video: clip1.mp4 (0-30s), clip2.mp4 (0:30-1:00), clip3.mp4 (1:00-1:30), +2 more",
        "2. Captions: 2 lines (0-4.5s)",
        "3. BGM: (empty)",
        "Length: 2:30",
      ].join("\n"),
    );
    expect(summarizeTimeline(draft, "zh-CN")).toContain("2. 字幕：2 行（0-4.5 秒）");
    expect(summarizeTimeline(draft, "zh-CN")).toContain("另有 2 段");
  });

  it("names unnamed segments plainly", () => {
    const draft = { t: [{ tt: 0, sg: [{ s: 0, d: 1000 }] }, { tt: 1, sg: [{ s: 5000 }] }] };
    expect(summarizeTimeline(draft, "en")).toBe(
      ["Timeline (2 tracks):", "1. Video: clip (0-1s)", "2. BGM: music (from 5s)", "Length: 5s"].join("\n"),
    );
  });
});

describe("describeDraftChanges", () => {
  it("says nothing when nothing changed", () => {
    expect(describeDraftChanges(seedDraft(), seedDraft(), "en")).toEqual([]);
    expect(describeDraftChanges(undefined, undefined, "en")).toEqual([]);
  });

  it("names a trim", () => {
    const after = seedDraft();
    tracksOf(after)[0]!.sg[0]!.d = 30_000;
    const before = seedDraft();
    tracksOf(before)[0]!.sg[0]!.d = 60_000;
    expect(describeDraftChanges(before, after, "en")).toEqual(["trimmed the video to 0-30s"]);
    expect(describeDraftChanges(before, after, "zh-CN")).toEqual(["将视频剪辑为 0-30 秒"]);
  });

  it("names a frame given to clips that had none", () => {
    const before = seedDraft();
    delete before.m;
    expect(describeDraftChanges(before, seedDraft(), "en")).toEqual(["changed the aspect ratio to 9:16"]);
  });

  it("names a new aspect ratio", () => {
    const before = seedDraft();
    before.m = { width: 1920, height: 1080, ratio: "16:9" };
    expect(describeDraftChanges(before, seedDraft(), "en")).toEqual(["changed the aspect ratio to 9:16"]);
    expect(describeDraftChanges(before, seedDraft(), "zh-CN")).toEqual(["将画面比例改为 9:16"]);
  });

  it("names titles added, removed and changed", () => {
    const plain = seedDraft();
    plain.t = tracksOf(plain).slice(0, 2);
    const summer = seedDraft();
    tracksOf(summer)[2]!.sg[0]!.txt = "Summer Vibes";
    expect(describeDraftChanges(plain, summer, "en")).toEqual(['added the title "Summer Vibes"']);
    expect(describeDraftChanges(summer, plain, "en")).toEqual(['removed the title "Summer Vibes"']);
    expect(describeDraftChanges(seedDraft(), summer, "en")).toEqual(['changed the title "Urban Dreams" to "Summer Vibes"']);
    expect(describeDraftChanges(plain, summer, "zh-CN")).toEqual(["添加了标题“Summer Vibes”"]);
  });

  it("names background music with its volume, and a new volume", () => {
    const silent = seedDraft();
    silent.t = [tracksOf(silent)[0], tracksOf(silent)[2]];
    expect(describeDraftChanges(silent, seedDraft(), "en")).toEqual(['added background music "Lo-fi" at 35%']);
    expect(describeDraftChanges(silent, seedDraft(), "zh-CN")).toEqual(["添加了背景音乐“Lo-fi”，音量 35%"]);
    expect(describeDraftChanges(seedDraft(), silent, "en")).toEqual(['removed the background music "Lo-fi"']);
    const louder = seedDraft();
    tracksOf(louder)[1]!.sg[0]!.v = 0.6;
    expect(describeDraftChanges(seedDraft(), louder, "en")).toEqual(['set the "Lo-fi" volume to 60%']);
  });

  it("names captions turned on and off", () => {
    const captioned = seedDraft();
    tracksOf(captioned).push({ tt: 7, k: "captions", sg: [{ txt: "Hello", s: 0, d: 1000 }] });
    expect(describeDraftChanges(seedDraft(), captioned, "en")).toEqual(["turned captions on"]);
    expect(describeDraftChanges(captioned, seedDraft(), "en")).toEqual(["turned captions off"]);
    expect(describeDraftChanges(seedDraft(), captioned, "zh-CN")).toEqual(["开启了字幕"]);
    const emptied = seedDraft();
    tracksOf(emptied).push({ tt: 7, k: "captions", sg: [] });
    expect(describeDraftChanges(captioned, emptied, "zh-CN")).toEqual(["关闭了字幕"]);
  });

  it("names clips added and removed, and counts many", () => {
    const two = seedDraft();
    tracksOf(two)[0]!.sg.push({ n: "beach.mp4", s: 10_000, d: 5000 });
    expect(describeDraftChanges(seedDraft(), two, "en")).toEqual(['added the clip "beach.mp4"']);
    expect(describeDraftChanges(two, seedDraft(), "en")).toEqual(['removed the clip "beach.mp4"']);
    const many = seedDraft();
    for (let i = 0; i < 6; i++) tracksOf(many)[0]!.sg.push({ n: `b${i}.mp4`, s: 0, d: 1 });
    expect(describeDraftChanges(seedDraft(), many, "en")).toEqual(["added 6 clips"]);
    expect(describeDraftChanges(seedDraft(), many, "zh-CN")).toEqual(["添加了 6 个片段"]);
  });

  it("describes a whole first draft", () => {
    expect(describeDraftChanges({ t: [] }, seedDraft(), "en")).toEqual([
      'added the clip "city timelapse"',
      'added the title "Urban Dreams"',
      'added background music "Lo-fi" at 35%',
    ]);
  });

  it("says the timeline was updated when it cannot name the change", () => {
    const moved = seedDraft();
    tracksOf(moved)[2]!.sg[0]!.s = 500;
    expect(describeDraftChanges(seedDraft(), moved, "en")).toEqual(["updated the timeline"]);
    expect(describeDraftChanges(seedDraft(), moved, "zh-CN")).toEqual(["更新了时间线"]);
    const unknownKey = { ...seedDraft(), fx: { blur: 2 } };
    expect(describeDraftChanges(seedDraft(), unknownKey, "en")).toEqual(["updated the timeline"]);
  });

  it("ignores the order of keys", () => {
    const reordered = Object.fromEntries(Object.entries(seedDraft()).reverse());
    expect(describeDraftChanges(seedDraft(), reordered, "en")).toEqual([]);
  });

  it("keeps a long list of changes short", () => {
    const titled = seedDraft();
    for (let i = 0; i < 12; i++) tracksOf(titled).push({ tt: 7, sg: [{ txt: `T${i}`, s: 0, d: 1 }] });
    const changes = describeDraftChanges(seedDraft(), titled, "en");
    expect(changes).toHaveLength(8);
    expect(changes.at(-1)).toBe("and 5 more changes");
  });
});
