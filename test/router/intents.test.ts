import { describe, expect, it } from "vitest";
import { classify, normalizeUtterance, type Intent } from "../../src/chat/intents.js";
import type { ButtonIntent, ChatKind } from "../../src/chat/message.js";

const BOT = "NemoCutBot";
const turn = (text: string, exportAfter = false): Intent => ({ kind: "turn", text, exportAfter });
const command = (name: string, args = ""): Intent => ({ kind: "command", command: name, args }) as Intent;
const EXPORT: Intent = { kind: "export" };
const CREDITS: Intent = { kind: "credits" };
const TIMELINE: Intent = { kind: "timeline" };
const UPLOAD_HINT: Intent = { kind: "upload-hint" };

/** [what the user typed, what the bot must understand] */
const TEXT_TABLE: Array<[string, Intent]> = [
  // commands, with and without the bot's @name, with arguments
  ["/start", command("start")],
  ["/help", command("help")],
  ["/new", command("new")],
  ["/credits", command("credits")],
  ["/status", command("status")],
  ["/export", command("export")],
  ["/cancel", command("cancel")],
  ["/lang zh", command("lang", "zh")],
  ["/token nmv_usr_abc123", command("token", "nmv_usr_abc123")],
  ["/export@NemoCutBot", command("export")],
  ["/export@nemocutbot 1080p", command("export", "1080p")],
  ["/EXPORT", command("export")],
  ["/start@OtherBot", { kind: "not-for-us" }],
  ["/frobnicate", { kind: "unknown-command", name: "frobnicate" }],
  ["/start ref_123", command("start", "ref_123")],
  // export, the way people ask for it
  ["export", EXPORT],
  ["Export!", EXPORT],
  ["EXPORT", EXPORT],
  ["export 1080p mp4", EXPORT],
  ["Export 1080p MP4", EXPORT],
  ["export it please", EXPORT],
  ["export now 🎬", EXPORT],
  ["download", EXPORT],
  ["Download the video", EXPORT],
  ["send me the video", EXPORT],
  ["Send me the video!!", EXPORT],
  ["can you export it?", EXPORT],
  ["导出", EXPORT],
  ["导出！", EXPORT],
  ["导出视频", EXPORT],
  ["请导出1080p", EXPORT],
  ["帮我导出一下吧", EXPORT],
  ["下载视频", EXPORT],
  ["@NemoCutBot export", EXPORT],
  // credits
  ["credits", CREDITS],
  ["Credits?", CREDITS],
  ["balance", CREDITS],
  ["my balance", CREDITS],
  ["how many credits do I have left?", CREDITS],
  ["💰 credits", CREDITS],
  ["积分", CREDITS],
  ["余额", CREDITS],
  ["我还有多少积分？", CREDITS],
  ["查询余额", CREDITS],
  ["积分？", CREDITS],
  // status / timeline
  ["status", TIMELINE],
  ["Status.", TIMELINE],
  ["show tracks", TIMELINE],
  ["Show the timeline", TIMELINE],
  ["what's the status?", TIMELINE],
  ["状态", TIMELINE],
  ["查看状态", TIMELINE],
  ["项目状态？", TIMELINE],
  ["@NemoCutBot status", TIMELINE],
  // upload without a file
  ["upload", UPLOAD_HINT],
  ["Upload a video", UPLOAD_HINT],
  ["上传", UPLOAD_HINT],
  ["我要上传视频", UPLOAD_HINT],
  // other short words
  ["help", command("help")],
  ["帮助", command("help")],
  ["cancel", command("cancel")],
  ["取消", command("cancel")],
  // keywords inside edit requests are edits
  ["add the credits at the end", turn("add the credits at the end")],
  ["add rolling credits with the cast names", turn("add rolling credits with the cast names")],
  ["show tracks with music only in the first half", turn("show tracks with music only in the first half")],
  ["make the status bar text bigger", turn("make the status bar text bigger")],
  ["balance the audio levels", turn("balance the audio levels")],
  ["upload speed text overlay in the corner", turn("upload speed text overlay in the corner")],
  ["download some lo-fi music and add it as BGM", turn("download some lo-fi music and add it as BGM")],
  ["把积分显示在片尾", turn("把积分显示在片尾")],
  ["给视频加上字幕", turn("给视频加上字幕")],
  // edits that ask for the video at the end
  [
    "cut out silences, add background music, and export as a 60-second highlight reel",
    turn("cut out silences, add background music, and export as a 60-second highlight reel", true),
  ],
  ["trim to 30 seconds and send me the video", turn("trim to 30 seconds and send me the video", true)],
  ["剪掉静音部分，加背景音乐，然后导出", turn("剪掉静音部分，加背景音乐，然后导出", true)],
  ["trim the intro but don't export yet", turn("trim the intro but don't export yet")],
  ["before exporting, add captions", turn("before exporting, add captions")],
  ["先加字幕，先别导出", turn("先加字幕，先别导出")],
  // plain edits
  ["cut this to 30 seconds, add captions, format it for Reels", turn("cut this to 30 seconds, add captions, format it for Reels")],
  ["make it 9:16 😍", turn("make it 9:16 😍")],
  ["@NemoCutBot make it black and white", turn("make it black and white")],
  ["  ", { kind: "empty" }],
  ["", { kind: "empty" }],
];

describe("classify: what a message asks for", () => {
  it("has a table of at least 60 utterances", () => {
    expect(TEXT_TABLE.length).toBeGreaterThanOrEqual(60);
  });

  it.each(TEXT_TABLE)("%j", (text, expected) => {
    const chatKind: ChatKind = text.includes("@") ? "group" : "private";
    expect(classify({ text, attachments: [], chatKind }, BOT)).toEqual(expected);
  });

  it("turns an attachment into an upload, its caption kept for the edit after it", () => {
    expect(classify({ text: "", attachments: [{}], chatKind: "private" })).toEqual({ kind: "upload" });
    expect(classify({ text: "  make it a reel ", attachments: [{}], chatKind: "private" })).toEqual({
      kind: "upload",
      caption: "make it a reel",
    });
    expect(classify({ text: "@NemoCutBot export", attachments: [{}, {}], chatKind: "group" }, BOT)).toEqual({
      kind: "upload",
      caption: "export",
    });
  });

  it.each<[ButtonIntent, Intent]>([
    ["export", EXPORT],
    ["timeline", TIMELINE],
    ["credits", CREDITS],
  ])("a press of the %s button means that intent, whatever the text", (button, expected) => {
    expect(classify({ text: "anything", attachments: [], button, chatKind: "group" })).toEqual(expected);
  });

  it("accepts any @suffix when the bot's own name is not known", () => {
    expect(classify({ text: "/credits@WhoeverBot", attachments: [], chatKind: "group" })).toEqual(command("credits"));
  });

  it("folds full-width punctuation, case and emoji away for matching", () => {
    expect(normalizeUtterance("ＥＸＰＯＲＴ！🎬")).toBe("export");
    expect(normalizeUtterance("What's  the status？")).toBe("whats the status");
  });
});
