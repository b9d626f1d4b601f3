import { describe, expect, it } from "vitest";
import { understand, type Intent } from "../../src/emulator/understand.js";

/** The phrasings the emulated agent acts on (with media on the timeline), English and Chinese. */
const CASES: Array<[string, Intent[]]> = [
  ["cut to 30 seconds", [{ type: "trim", seconds: 30 }]],
  ["Make it a 30-second video", [{ type: "trim", seconds: 30 }]],
  ["trim it to 1 minute", [{ type: "trim", seconds: 60 }]],
  ["剪到30秒", [{ type: "trim", seconds: 30 }]],
  ["format it for Reels", [{ type: "ratio", ratio: "9:16", platform: "Reels" }]],
  ["for TikTok please", [{ type: "ratio", ratio: "9:16", platform: "TikTok" }]],
  ["YouTube Shorts", [{ type: "ratio", ratio: "9:16", platform: "Shorts" }]],
  ["change it to 9:16", [{ type: "ratio", ratio: "9:16" }]],
  ["1:1 please", [{ type: "ratio", ratio: "1:1" }]],
  ["make it landscape 16:9", [{ type: "ratio", ratio: "16:9" }]],
  ["改成竖屏", [{ type: "ratio", ratio: "9:16" }]],
  ['add the title "Summer Vibes"', [{ type: "title", text: "Summer Vibes" }]],
  ["add the title “30 seconds of fun”", [{ type: "title", text: "30 seconds of fun" }]],
  ["加上标题“夏日时光”", [{ type: "title", text: "夏日时光" }]],
  ["标题：夏日", [{ type: "title", text: "夏日" }]],
  ["remove the title", [{ type: "title-remove" }]],
  ["add background music", [{ type: "music" }]],
  ["add some upbeat music", [{ type: "music", stock: "Upbeat Pop" }]],
  ["加背景音乐", [{ type: "music" }]],
  ["remove the music", [{ type: "music-remove" }]],
  ["add captions", [{ type: "captions", on: true }]],
  ["turn off captions", [{ type: "captions", on: false }]],
  ["加字幕", [{ type: "captions", on: true }]],
  ["去掉字幕", [{ type: "captions", on: false }]],
  ["make the sky purple", []],
  [
    "cut to 30 seconds, add trending music and captions, format for Instagram Reels",
    [
      { type: "trim", seconds: 30 },
      { type: "ratio", ratio: "9:16", platform: "Reels" },
      { type: "music", stock: "Trending Beat" },
      { type: "captions", on: true },
    ],
  ],
];

describe("what the emulated agent understands", () => {
  it.each(CASES)("%s", (message, intents) => {
    expect(understand(message, true)).toEqual(intents);
  });

  it("generates from a description when there is no media, or when asked to generate", () => {
    expect(understand("make a 10-second video of a sunset", false)).toEqual([
      { type: "generate", prompt: "make a 10-second video of a sunset", seconds: 10 },
    ]);
    expect(understand("生成一段日落的视频", false)[0]).toMatchObject({ type: "generate", seconds: 5 });
    // With a clip uploaded, "make a 30-second video for Reels" is an edit, not a generation.
    expect(understand("make a 30-second video for Reels", true).map((i) => i.type)).toEqual(["trim", "ratio"]);
  });
});
