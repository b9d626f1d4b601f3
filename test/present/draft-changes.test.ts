import { describe, expect, it } from "vitest";
import { describeDraftChanges } from "../../src/present/draft-changes.js";
import { metaNamedDraft, seedDraft, tracksOf } from "../helpers/seed-draft.js";

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

  it("names what sits in a segment's metadata (`m`)", () => {
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
