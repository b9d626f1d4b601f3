import { describe, expect, it } from "vitest";
import { understand, type Intent } from "../../src/emulator/understand.js";

/** The phrasings the emulated agent acts on (with media on the timeline), English and Chinese. */
const CASES: Array<[string, Intent[]]> = [
  ["cut to 30 seconds", [{ type: "trim", seconds: 30 }]],
  ["Make it a 30-second video", [{ type: "trim", seconds: 30 }]],
  ["trim it to 1 minute", [{ type: "trim", seconds: 60 }]],
  ["keep the first 10 seconds", [{ type: "trim", seconds: 10 }]],
  ["剪到30秒", [{ type: "trim", seconds: 30 }]],
  ["format it for Reels", [{ type: "ratio", ratio: "9:16", platform: "Reels" }]],
  ["for TikTok please", [{ type: "ratio", ratio: "9:16", platform: "TikTok" }]],
  ["YouTube Shorts", [{ type: "ratio", ratio: "9:16", platform: "Shorts" }]],
  ["change it to 9:16", [{ type: "ratio", ratio: "9:16" }]],
  ["9x16 please", [{ type: "ratio", ratio: "9:16" }]],
  ["1:1 please", [{ type: "ratio", ratio: "1:1" }]],
  ["make it landscape 16:9", [{ type: "ratio", ratio: "16:9" }]],
  ["改成竖屏", [{ type: "ratio", ratio: "9:16" }]],
  ["make it 9:16 with black bars", [{ type: "ratio", ratio: "9:16", fit: "pad" }]],
  ["crop it to square", [{ type: "ratio", ratio: "1:1", fit: "crop" }]],
  ["don't crop, keep the whole frame", [{ type: "fit", fit: "pad" }]],
  ["竖屏，加黑边", [{ type: "ratio", ratio: "9:16" }, { type: "fit", fit: "pad" }]],
  ['add the title "Summer Vibes"', [{ type: "title", text: "Summer Vibes" }]],
  ["add the title “30 seconds of fun”", [{ type: "title", text: "30 seconds of fun" }]],
  ["add the title Beach Day", [{ type: "title", text: "Beach Day" }]],
  ["with the title Beach Day at the start please", [{ type: "title", text: "Beach Day" }]],
  ["add the title Rock and Roll", [{ type: "title", text: "Rock and Roll" }]],
  ["add a title", [{ type: "title", text: "" }]],
  ["加上标题“夏日时光”", [{ type: "title", text: "夏日时光" }]],
  ["标题：夏日", [{ type: "title", text: "夏日" }]],
  ["remove the title", [{ type: "title-remove" }]],
  ["remove the title and the music", [{ type: "title-remove" }, { type: "music-remove" }]],
  ["add background music", [{ type: "music" }]],
  ["add some upbeat music", [{ type: "music", stock: "Upbeat Pop" }]],
  ["calm music at 30%", [{ type: "music", stock: "Chill Acoustic", volume: 0.3 }]],
  ["set the music volume to 50%", [{ type: "music", volume: 0.5 }]],
  ["add lo-fi music, volume 20%", [{ type: "music", stock: "Lo-fi" }, { type: "music-volume", volume: 0.2 }]],
  ["加背景音乐", [{ type: "music" }]],
  ["配乐音量30%", [{ type: "music", volume: 0.3 }]],
  ["remove the music", [{ type: "music-remove" }]],
  ["mute the music", [{ type: "music-remove" }]],
  ["add captions", [{ type: "captions", lines: [] }]],
  ["add captions: Hello there! Welcome to the beach. See you", [{ type: "captions", lines: ["Hello there!", "Welcome to the beach.", "See you"] }]],
  ['add captions "Hello" and "Bye"', [{ type: "captions", lines: ["Hello", "Bye"] }]],
  ["subtitles: one | two", [{ type: "captions", lines: ["one", "two"] }]],
  ["加字幕：你好！欢迎来到海边。", [{ type: "captions", lines: ["你好！", "欢迎来到海边。"] }]],
  ["turn off captions", [{ type: "captions-remove" }]],
  ["加字幕", [{ type: "captions", lines: [] }]],
  ["去掉字幕", [{ type: "captions-remove" }]],
  ["put them together", [{ type: "join" }]],
  ["拼接起来", [{ type: "join" }]],
  ["speed it up 2x", [{ type: "speed", factor: 2 }]],
  ["slow motion", [{ type: "speed", factor: 0.5 }]],
  ["slow down the second clip", [{ type: "speed", factor: 0.5, clip: 2 }]],
  ["play the first clip at 1.5x", [{ type: "speed", factor: 1.5, clip: 1 }]],
  ["第二个片段加速2倍", [{ type: "speed", factor: 2, clip: 2 }]],
  ["mute it", [{ type: "mute", on: true }]],
  ["mute the last clip", [{ type: "mute", on: true, clip: "last" }]],
  ["unmute", [{ type: "mute", on: false }]],
  ["静音", [{ type: "mute", on: true }]],
  ["fade in and out", [{ type: "fade", fadeIn: true, fadeOut: true }]],
  ["add a fade out", [{ type: "fade", fadeIn: false, fadeOut: true }]],
  ["淡入淡出", [{ type: "fade", fadeIn: true, fadeOut: true }]],
  ["remove the fades", [{ type: "fade", fadeIn: false, fadeOut: false }]],
  ["trim the first clip to 1 second", [{ type: "clip-trim", clip: 1, seconds: 1 }]],
  ["use 1-3s of the second clip", [{ type: "clip-trim", clip: 2, from: 1, to: 3 }]],
  ["clip 2 from 0.5s to 2.5s", [{ type: "clip-trim", clip: 2, from: 0.5, to: 2.5 }]],
  ["keep 1-2 s", [{ type: "clip-trim", from: 1, to: 2 }]],
  ["第二段保留1到3秒", [{ type: "clip-trim", clip: 2, from: 1, to: 3 }]],
  [
    "cut the last clip to 2 seconds and the first to 1 second",
    [
      { type: "clip-trim", clip: "last", seconds: 2 },
      { type: "clip-trim", clip: 1, seconds: 1 },
    ],
  ],
  [
    "cut to 30 seconds, add trending music and captions, format for Instagram Reels",
    [
      { type: "trim", seconds: 30 },
      { type: "music", stock: "Trending Beat" },
      { type: "captions", lines: [] },
      { type: "ratio", ratio: "9:16", platform: "Reels" },
    ],
  ],
  [
    "put them together, add the title Beach Day and calm music at 30%",
    [
      { type: "join" },
      { type: "title", text: "Beach Day" },
      { type: "music", stock: "Chill Acoustic", volume: 0.3 },
    ],
  ],
];

describe("what the emulated agent understands", () => {
  it.each(CASES)("%s", (message, intents) => {
    expect(understand(message, true)).toEqual({ intents, leftovers: [] });
  });

  it("hands back what it did not understand, as the user wrote it, and ignores politeness", () => {
    expect(understand("make the sky purple", true)).toEqual({ intents: [], leftovers: ["make the sky purple"] });
    expect(understand("add the title Beach Day, then make the sky purple please", true)).toEqual({
      intents: [{ type: "title", text: "Beach Day" }],
      leftovers: ["make the sky purple please"],
    });
    expect(understand("剪到5秒，把天空变成紫色", true)).toEqual({ intents: [{ type: "trim", seconds: 5 }], leftovers: ["把天空变成紫色"] });
    expect(understand("thanks, that's all. ok!", true).leftovers).toEqual(["that's all"]);
    expect(understand("hello", true)).toEqual({ intents: [], leftovers: [] });
  });

  it("generates from a description when there is no media, or when asked to generate", () => {
    expect(understand("make a 10-second video of a sunset", false).intents).toEqual([
      { type: "generate", prompt: "make a 10-second video of a sunset", seconds: 10 },
    ]);
    expect(understand("生成一段日落的视频", false).intents[0]).toMatchObject({ type: "generate", seconds: 5 });
    // With a clip uploaded, "make a 30-second video for Reels" is an edit, not a generation.
    expect(understand("make a 30-second video for Reels", true).intents.map((i) => i.type)).toEqual(["trim", "ratio"]);
    // The description is the prompt, not a list of requests to report as not understood.
    expect(understand("generate a 3-second video of a city at night for TikTok", false)).toEqual({
      intents: [
        { type: "generate", prompt: "generate a 3-second video of a city at night for TikTok", seconds: 3 },
        { type: "ratio", ratio: "9:16", platform: "TikTok" },
      ],
      leftovers: [],
    });
  });
});
