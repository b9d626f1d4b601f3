import { describe, expect, it } from "vitest";
import type { Locale } from "../../src/chat/message.js";
import { MAX_INPUT, redactSecrets, stripJsonBlobs, translateBackendText, type GuiAction } from "../../src/chat/gui-translation.js";
import { ADVERSARIAL_FAMILIES, adversarialText } from "../helpers/adversarial-text.js";

const EXPORT_EN = "I'll export it now.";
const EXPORT_ZH = "我现在就为你导出。";
const SUGGEST_EN = 'When you\'re happy with it, tap 🎬 Export or just say "export".';
const SUGGEST_ZH = "满意的话，点 🎬 导出，或者直接说「导出」。";
const STATE_EN = "I'll show you where your project stands.";
const STATE_ZH = "我来给你看看项目的当前状态。";
const TIMELINE_EN = "I'll show you the timeline.";
const TIMELINE_ZH = "我来给你看看时间线。";
const DRAG_EN = 'Tell me what to change, e.g. "move the title to 5s" or "put the second clip first".';
const DRAG_ZH = "告诉我要改什么就行，例如“把标题移到第 5 秒”或“把第二个片段放到最前面”。";
const UPLOAD_EN = "Just send the file here in the chat.";
const UPLOAD_ZH = "直接在聊天里把文件发给我就行。";

type Row = [backend: string, locale: Locale, text: string, actions: GuiAction[]];

function check([backend, locale, text, actions]: Row): void {
  const result = translateBackendText(backend, locale);
  expect(result.text).toBe(text);
  expect(result.actions).toEqual(actions);
}

describe("the backend telling the user to export", () => {
  it.each<Row>([
    ["Click the Export button to download your video.", "en", EXPORT_EN, ["export"]],
    ["Your video is ready, click the Export button to download it.", "en", `Your video is ready, ${EXPORT_EN}`, ["export"]],
    ["Your Reel is ready! Click **Export** in the top right corner.", "en", `Your Reel is ready! ${EXPORT_EN}`, ["export"]],
    ["Tap Export to save it to your device.", "en", EXPORT_EN, ["export"]],
    ["Press the download icon to get your 1080p file.", "en", EXPORT_EN, ["export"]],
    ["Use the Export button to get your MP4.", "en", EXPORT_EN, ["export"]],
    ["视频已剪辑好，点击导出按钮即可下载。", "zh-CN", `视频已剪辑好，${EXPORT_ZH}`, ["export"]],
    ["请点击右上角的「导出」按钮下载视频。", "zh-CN", EXPORT_ZH, ["export"]],
    ["字幕已添加完成。点击下载就能保存到手机。", "zh-CN", `字幕已添加完成。${EXPORT_ZH}`, ["export"]],
    ["使用导出按钮获取 MP4 文件。", "zh-CN", EXPORT_ZH, ["export"]],
  ])("%s", (...row) => check(row));
});

describe("a suggestion to export once the user is happy: pointed at the Export button, not run", () => {
  it.each<Row>([
    ["When you're happy with it, click Export to render the final MP4.", "en", SUGGEST_EN, []],
    ["I've added captions. Click Export when you're ready.", "en", `I've added captions. ${SUGGEST_EN}`, []],
    ["Done! When you're happy, click the Export button.", "en", `Done! ${SUGGEST_EN}`, []],
    ["If it looks good, press Export.", "en", SUGGEST_EN, []],
    ["满意的话，点击导出即可。", "zh-CN", SUGGEST_ZH, []],
    ["完成了！如果满意，请点击导出按钮。", "zh-CN", `完成了！${SUGGEST_ZH}`, []],
  ])("%s", (...row) => check(row));
});

describe("a past or negated mention of exporting", () => {
  it.each<Row>([
    ["The video was exported earlier using the Export button.", "en", "The video was exported earlier using the Export button.", []],
    ["Don't click Export yet — the captions are still generating.", "en", "Don't click Export yet — the captions are still generating.", []],
    ["Your last export finished in 40 seconds.", "en", "Your last export finished in 40 seconds.", []],
    ["You can export whenever you're ready.", "en", "You can export whenever you're ready.", []],
    ["The Export button was greyed out because the timeline was empty.", "en", "The Export button was greyed out because the timeline was empty.", []],
    ["视频已导出成功。", "zh-CN", "视频已导出成功。", []],
    ["上次导出失败了，我已经修好了时间线。", "zh-CN", "上次导出失败了，我已经修好了时间线。", []],
    ["先不要点击导出，字幕还在生成中。", "zh-CN", "先不要点击导出，字幕还在生成中。", []],
    ["导出按钮之前是灰色的。", "zh-CN", "导出按钮之前是灰色的。", []],
  ])("%s", (...row) => check(row));
});

describe("panels, the timeline preview and drag and drop", () => {
  it.each<Row>([
    ["Open the Text panel to edit the title.", "en", STATE_EN, ["show-state"]],
    ["You can open the Audio tab on the left to adjust the volume.", "en", STATE_EN, ["show-state"]],
    ["Go to the Settings menu to change the resolution.", "en", STATE_EN, ["show-state"]],
    ["打开右侧的文字面板可以修改标题。", "zh-CN", STATE_ZH, ["show-state"]],
    ["进入音频设置调整音量。", "zh-CN", STATE_ZH, ["show-state"]],
    ["You can preview it in the timeline.", "en", TIMELINE_EN, ["show-timeline"]],
    ["Done! Check the result in the timeline.", "en", `Done! ${TIMELINE_EN}`, ["show-timeline"]],
    ["Take a look at the timeline preview below.", "en", TIMELINE_EN, ["show-timeline"]],
    ["你可以在时间线中预览效果。", "zh-CN", TIMELINE_ZH, ["show-timeline"]],
    ["已完成剪辑，请在时间轴上查看。", "zh-CN", `已完成剪辑，${TIMELINE_ZH}`, ["show-timeline"]],
    ["Drag the clip on the timeline to reorder it.", "en", DRAG_EN, []],
    ["You can drag the title to reposition it.", "en", DRAG_EN, []],
    ["Drag and drop your video files here to upload.", "en", UPLOAD_EN, []],
    ["Drop the music onto the audio track.", "en", DRAG_EN, []],
    ["把片段拖拽到时间线上调整顺序。", "zh-CN", DRAG_ZH, []],
    ["将视频文件拖到这里上传。", "zh-CN", UPLOAD_ZH, []],
  ])("%s", (...row) => check(row));
});

describe("other buttons", () => {
  it.each<Row>([
    ["Click Apply to save your changes.", "en", `Just say "Apply" and I'll take care of it.`, []],
    ['Click the "Add Text" button to insert a caption.', "en", `Just say "Add Text" and I'll take care of it.`, []],
    ["Click the Auto Captions button.", "en", `Just say "Auto Captions" and I'll take care of it.`, []],
    ["Click the button below to continue.", "en", "Just tell me here in the chat and I'll take care of it.", []],
    ["Click here to continue.", "en", "Just tell me here in the chat and I'll take care of it.", []],
    ["Click Upload to add more clips.", "en", UPLOAD_EN, []],
    ["点击右上角的分享按钮。", "zh-CN", "直接告诉我“分享”，我来处理。", []],
    ["点击「应用」即可保存修改。", "zh-CN", "直接告诉我“应用”，我来处理。", []],
    ["点击上传按钮添加更多素材。", "zh-CN", UPLOAD_ZH, []],
  ])("%s", (...row) => check(row));
});

describe("text with no editor talk", () => {
  it.each<Row>([
    ["I've trimmed your video to 30 seconds and added trending music.", "en", "I've trimmed your video to 30 seconds and added trending music.", []],
    ["Cut at 2.5s; the clip is now 9:16 for nemovideo.ai Reels.", "en", "Cut at 2.5s; the clip is now 9:16 for nemovideo.ai Reels.", []],
    ["The opening is a bit dark — want me to brighten it?", "en", "The opening is a bit dark — want me to brighten it?", []],
    ["Drop in trending music? I can do that.", "en", "Drop in trending music? I can do that.", []],
    ["已将视频剪辑为 30 秒，并添加了字幕。", "zh-CN", "已将视频剪辑为 30 秒，并添加了字幕。", []],
    ["需要我把标题改成“夏日时光”吗？", "zh-CN", "需要我把标题改成“夏日时光”吗？", []],
    ["", "en", "", []],
  ])("%s", (...row) => check(row));
});

describe("whole replies", () => {
  it("rewrites several sentences, keeps the rest and lists each action once in order", () => {
    const reply = [
      "Done! I've cut the clip to 30 seconds and added captions.",
      "You can preview it in the timeline. If you'd like changes, drag the clips around.",
      "When you're happy, click **Export**. Or click the Export button again later.",
    ].join("\n");
    const result = translateBackendText(reply, "en");
    expect(result.actions).toEqual(["show-timeline"]);
    expect(result.text).toBe(
      [
        "Done! I've cut the clip to 30 seconds and added captions.",
        `${TIMELINE_EN} ${DRAG_EN}`,
        SUGGEST_EN,
      ].join("\n"),
    );
  });

  it("keeps list markers and blank lines", () => {
    const reply = "Next steps:\n\n1. Open the Effects panel.\n2. Click Export.\n- Share it!";
    expect(translateBackendText(reply, "en").text).toBe(`Next steps:\n\n1. ${STATE_EN}\n2. ${EXPORT_EN}\n- Share it!`);
  });

  it("rewrites in the sentence's own language, falling back to the chat's", () => {
    expect(translateBackendText("Click Export.", "zh-CN").text).toBe(EXPORT_EN);
    expect(translateBackendText("点击导出。", "en").text).toBe(EXPORT_ZH);
  });
});

describe("what never reaches a chat", () => {
  it.each([
    ['Here is the state: {"draft":{"t":[{"tt":0,"sg":[]}]},"session_id":"55297"} — all good.', "Here is the state: — all good."],
    ['Tracks: [{"tt":0,"sg":[]},{"tt":1,"sg":[]}]', "Tracks:"],
    ['Result:\n```json\n{"id":"render_1","status":"pending"}\n```\nRendering now.', "Result:\n\nRendering now."],
    ['Broken: {"error": "unescaped "quote" here"} end.', "Broken: end."],
  ])("strips raw JSON: %s", (backend, text) => {
    expect(translateBackendText(backend, "en").text).toBe(text);
  });

  it.each([
    "Click [Export] to finish.",
    "Values [1, 2, 3] are fine.",
    "Use {curly} words as you like.",
    "```\nplain code\n```",
  ])("keeps brackets that are words: %s", (text) => {
    expect(stripJsonBlobs(text)).toBe(text);
  });

  it.each([
    ["Your token is nmv_usr_8f3k2j4h5g6f7d8s.", "nmv_usr_8f3k2j4h5g6f7d8s"],
    ["Header: Authorization: Bearer abc.def.ghi123456", "abc.def.ghi123456"],
    ["File at https://api.telegram.org/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/videos/file_1.mp4 ok", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
    ["bot token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
    ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U here", "eyJhbGciOiJIUzI1NiJ9"],
    ["api_key=sk9f8e7d6c5b4a3f2e1d0c9b8a7", "sk9f8e7d6c5b4a3f2e1d0c9b8a7"],
    ["token: abcdefgh12345678", "abcdefgh12345678"],
    ["see https://cdn.example/v.mp4?X-Amz-Signature=deadbeef1234&x=1", "deadbeef1234"],
    ["opaque 9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e", "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e"],
  ])("hides anything that looks like a token: %s", (backend, secret) => {
    const text = translateBackendText(backend, "en").text;
    expect(text).not.toContain(secret);
    expect(text).toContain("•••");
  });

  it("leaves ordinary words, numbers, file names and links alone", () => {
    const text =
      "Session 5529798706024415232 is ready at https://nemovideo.ai/editor?lang=en — 1080x1920, 30 fps, my_summer_trip_2024_final_version_v3.mp4.";
    expect(redactSecrets(text)).toBe(text);
  });

  it("answers a huge or hostile text without hanging", () => {
    const hostile = `${"{[".repeat(50_000)} click ${"a".repeat(50_000)} "${"]".repeat(10_000)}`;
    const result = translateBackendText(hostile, "en");
    expect(typeof result.text).toBe("string");
  });
});

describe("backend text of any size and shape", () => {
  /**
   * The least CPU time of a few runs: CPU time leaves out the waiting for a core on a busy machine,
   * and the least of several leaves out a pause for garbage collection.
   */
  function leastCpuMs(text: string): number {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const before = process.cpuUsage();
      translateBackendText(text, "en");
      const used = process.cpuUsage(before);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  }

  it("costs time in proportion to its length, for every shape that backtracking regexes choke on", () => {
    // 10x the text may cost 10x the time; a quadratic pattern costs 100x. The floor keeps timer
    // resolution out of the ratio, the factor and the second chance leave room for a busy machine.
    const small = 1_600;
    const big = 16_000;
    const slow: string[] = [];
    for (const family of Object.keys(ADVERSARIAL_FAMILIES)) {
      let verdict = "";
      for (let chance = 0; chance < 3; chance++) {
        const smallMs = Math.max(leastCpuMs(adversarialText(family, small)), 1);
        const bigMs = leastCpuMs(adversarialText(family, big));
        verdict = bigMs > smallMs * 10 * 4 ? `${family}: ${bigMs.toFixed(1)} ms for ${big} chars vs ${smallMs.toFixed(1)} ms for ${small}` : "";
        if (verdict === "") break;
      }
      if (verdict !== "") slow.push(verdict);
    }
    expect(slow).toEqual([]);
  });

  it("reads at most MAX_INPUT characters of a 1 MB answer", () => {
    for (const family of Object.keys(ADVERSARIAL_FAMILIES)) {
      const huge = adversarialText(family, 1_000_000);
      expect(translateBackendText(huge, "en")).toEqual(translateBackendText(huge.slice(0, MAX_INPUT), "en"));
    }
  });
});
