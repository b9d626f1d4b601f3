import { describe, expect, it } from "vitest";
import { summarizeTimeline } from "../../src/present/timeline-summary.js";
import { metaNamedDraft, seedDraft } from "../helpers/seed-draft.js";

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

  it("reads names kept in a segment's metadata (`m`) like the seed's timeline", () => {
    expect(summarizeTimeline(metaNamedDraft(), "en")).toBe(summarizeTimeline(seedDraft(), "en"));
    expect(summarizeTimeline(metaNamedDraft(), "zh-CN")).toBe(summarizeTimeline(seedDraft(), "zh-CN"));
    expect(summarizeTimeline(metaNamedDraft(), "en")).toContain('3. Title: "Urban Dreams" (0-3s)');
  });
});
