import type { Fit, Ratio } from "./draft.js";

/**
 * What the emulated agent says, in English and Chinese. `done` phrases finish "Done! I …"; notes are
 * whole sentences about what was not done and why, so nothing reads as done that was not.
 */
export interface Words {
  trimmed(seconds: number): string;
  alreadyShorter(have: string, seconds: number): string;
  clipTrimmed(name: string, seconds: string): string;
  clipSpan(name: string, from: string, to: string): string;
  clipTooShort(name: string, have: string): string;
  badSpan(name: string): string;
  noSuchClip(ref: string, count: number): string;
  whichClip(count: number): string;
  ratio(ratio: Ratio, platform: string | undefined, fit: Fit | undefined): string;
  fit(fit: Fit): string;
  title(text: string): string;
  titleNeedsWords: string;
  noFont: string;
  titleRemoved: string;
  noTitle: string;
  music(name: string, percent: number, uploaded: boolean): string;
  musicVolume(name: string, percent: number): string;
  noMusicForVolume: string;
  badVolume(percent: number): string;
  musicRemoved: string;
  noMusic: string;
  captions(count: number, first: string): string;
  captionsNeedWords: string;
  captionsRemoved: string;
  noCaptions: string;
  joined(names: string, seconds: string): string;
  nothingToJoin(name: string): string;
  speed(factor: number, who: string, seconds: string): string;
  badSpeed(factor: number): string;
  noVideoToSpeed: string;
  muted(who: string): string;
  unmuted(who: string): string;
  fade(fadeIn: boolean, fadeOut: boolean): string;
  fadeRemoved: string;
  /** "the video" when every clip is meant. */
  wholeVideo: string;
  list(names: string[]): string;
  leftovers(pieces: string[]): string;
  noRenderer: string;
  editReply(done: string[], notes: string[]): string;
  nothingChanged(notes: string[]): string;
  generatedReply(seconds: number, extra: string[], notes: string[]): string;
  genericReply(pieces: string[]): string;
  needMedia: string;
}

const num = (n: number) => String(Math.round(n * 100) / 100);
const pct = (p: number) => `${Math.round(p)}%`;

function joinEn(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const EN_CAN =
  "I can put clips together, trim the video or one clip, speed it up or slow it down, mute it, fade it in and out, change the aspect ratio (9:16, 1:1, 16:9; cropped or with black bars), add a title, add captions with your words, and add background music at the volume you ask for.";
const ZH_CAN = "我可以拼接片段、剪辑整段或单个片段、加速或放慢、静音、淡入淡出、调整画面比例（9:16、1:1、16:9，裁剪或加黑边）、添加标题、用你给的文字添加字幕，以及按你要的音量添加背景音乐。";

export const EN: Words = {
  trimmed: (s) => `trimmed the video to ${num(s)} seconds`,
  alreadyShorter: (have, s) => `The video is ${have} seconds long, already shorter than ${num(s)} seconds, so I kept its length.`,
  clipTrimmed: (name, s) => `cut ${name} to ${s} seconds`,
  clipSpan: (name, from, to) => `kept ${from}-${to} s of ${name}`,
  clipTooShort: (name, have) => `${name} is only ${have} seconds long, so I could not cut it that way.`,
  badSpan: (name) => `That span is not inside ${name}, so I left it as it was.`,
  noSuchClip: (ref, count) => `There is no ${ref} clip: the timeline has ${count}.`,
  whichClip: (count) => `The timeline has ${count} clips: tell me which one to cut, e.g. "use 1-3 s of the second clip".`,
  ratio: (ratio, platform, fit) => {
    const shape = ratio === "9:16" ? "vertical" : ratio === "1:1" ? "square" : "landscape";
    const how = fit === "pad" ? ", with black bars so nothing is cut off" : fit === "crop" ? ", cropped to fill the frame" : "";
    return `changed the aspect ratio to ${ratio} (${shape}${platform ? `, ready for ${platform}` : ""})${how}`;
  },
  fit: (fit) => (fit === "pad" ? "fitted the whole picture in the frame with black bars" : "cropped the picture to fill the frame"),
  title: (text) => `added the title "${text}" at the start`,
  titleNeedsWords: 'A title needs its words: say, for example, add the title "Beach Day".',
  noFont: "This local emulator has no font to draw text with, so I did not add it.",
  titleRemoved: "removed the title",
  noTitle: "There was no title to remove.",
  music: (name, p, uploaded) =>
    uploaded ? `added your audio "${name}" as background music at ${pct(p)} volume, fading in and out` : `added background music "${name}" (a generated music bed) at ${pct(p)} volume, fading in and out`,
  musicVolume: (name, p) => `set the background music "${name}" to ${pct(p)} volume`,
  noMusicForVolume: "There is no background music yet to set the volume of: ask for music first.",
  badVolume: (p) => `${pct(p)} is not a volume I can set: ask for 1% to 100%.`,
  musicRemoved: "removed the background music",
  noMusic: "There was no background music to remove.",
  captions: (count, first) => `added ${count === 1 ? "a caption" : `${count} captions`} over the video ("${first}"${count > 1 ? ", …" : ""})`,
  captionsNeedWords:
    'I cannot write captions from the speech: this local emulator does no speech recognition. Give me the words, e.g. add captions: Hello! | Welcome to the beach.',
  captionsRemoved: "removed the captions",
  noCaptions: "There were no captions to remove.",
  joined: (names, s) => `put ${names} together, one after another (${s} seconds in all)`,
  nothingToJoin: (name) => `There is only one clip (${name}) on the timeline: upload another to put them together.`,
  speed: (f, who, s) => (f >= 1 ? `sped ${who} up to ${num(f)}x (now ${s} seconds)` : `slowed ${who} down to ${num(f)}x (now ${s} seconds)`),
  badSpeed: (f) => `${num(f)}x is outside what I can do: ask for 0.25x to 4x.`,
  noVideoToSpeed: "There is no moving clip to speed up or slow down, only photos.",
  muted: (who) => `muted the original sound of ${who}`,
  unmuted: (who) => `turned the original sound of ${who} back on`,
  fade: (i, o) => (i && o ? "added a fade in at the start and a fade out at the end" : i ? "added a fade in at the start" : "added a fade out at the end"),
  fadeRemoved: "removed the fades",
  wholeVideo: "the video",
  list: (names) => (names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : joinEn(names)),
  leftovers: (pieces) => `I did not understand ${joinEn(pieces.map((p) => `"${p}"`))}, so I left ${pieces.length === 1 ? "it" : "them"} out.`,
  noRenderer: "Note: this local emulator has no ffmpeg here, so the exported video will not show these edits.",
  editReply: (done, notes) =>
    `Done! I ${joinEn(done)}.${notes.length ? ` ${notes.join(" ")}` : ""} You can preview it in the timeline. When you're happy, click the Export button.`,
  nothingChanged: (notes) => `Nothing changed. ${notes.join(" ")}`,
  generatedReply: (s, extra, notes) =>
    `Your video is ready: I generated a ${s}-second clip from your description and put it on the timeline.${extra.length ? ` I also ${joinEn(extra)}.` : ""}${notes.length ? ` ${notes.join(" ")}` : ""} Open the preview panel to watch it, and click the Export button when you're happy.`,
  genericReply: (pieces) => `Sorry, I can't do that in this project yet${pieces.length ? ` (${pieces.map((p) => `"${p}"`).join(", ")})` : ""}. ${EN_CAN} What would you like to change?`,
  needMedia: "I don't see any video or images in this project yet. Upload a clip or some photos, or describe the video you'd like me to generate.",
};

export const ZH: Words = {
  trimmed: (s) => `将视频剪辑为${num(s)}秒`,
  alreadyShorter: (have, s) => `视频只有${have}秒，已经短于${num(s)}秒，时长保持不变。`,
  clipTrimmed: (name, s) => `将“${name}”剪为${s}秒`,
  clipSpan: (name, from, to) => `保留了“${name}”的第${from}-${to}秒`,
  clipTooShort: (name, have) => `“${name}”只有${have}秒，无法这样剪。`,
  badSpan: (name) => `这个时间段不在“${name}”之内，保持不变。`,
  noSuchClip: (ref, count) => `没有${ref}片段：时间线上共有${count}个。`,
  whichClip: (count) => `时间线上有${count}个片段，请说明剪哪一个，例如“第二个片段保留1-3秒”。`,
  ratio: (ratio, platform, fit) => {
    const shape = ratio === "9:16" ? "竖屏" : ratio === "1:1" ? "方形" : "横屏";
    const how = fit === "pad" ? "，加黑边保留完整画面" : fit === "crop" ? "，裁剪填满画面" : "";
    return `将画面比例调整为${ratio}（${shape}${platform ? `，适合${platform}` : ""}）${how}`;
  },
  fit: (fit) => (fit === "pad" ? "加黑边保留了完整画面" : "裁剪画面以填满画框"),
  title: (text) => `在开头添加了标题“${text}”`,
  titleNeedsWords: "标题需要文字，例如：加上标题“海边的一天”。",
  noFont: "本地模拟器没有可用的字体来绘制文字，因此没有添加。",
  titleRemoved: "去掉了标题",
  noTitle: "没有可去掉的标题。",
  music: (name, p, uploaded) =>
    uploaded ? `用你上传的“${name}”作为背景音乐（音量${pct(p)}，淡入淡出）` : `添加了背景音乐“${name}”（生成的配乐，音量${pct(p)}，淡入淡出）`,
  musicVolume: (name, p) => `将背景音乐“${name}”的音量调整为${pct(p)}`,
  noMusicForVolume: "还没有背景音乐，无法调整音量：请先添加音乐。",
  badVolume: (p) => `无法设置${pct(p)}的音量：请选择1%到100%。`,
  musicRemoved: "去掉了背景音乐",
  noMusic: "没有可去掉的背景音乐。",
  captions: (count, first) => `添加了${count}条字幕（“${first}”${count > 1 ? "……" : ""}）`,
  captionsNeedWords: "我无法根据语音生成字幕：本地模拟器不做语音识别。请告诉我字幕内容，例如：字幕：你好！| 欢迎来到海边。",
  captionsRemoved: "去掉了字幕",
  noCaptions: "没有可去掉的字幕。",
  joined: (names, s) => `将${names}按顺序拼接在一起（共${s}秒）`,
  nothingToJoin: (name) => `时间线上只有一个片段（${name}）：请再上传一个再拼接。`,
  speed: (f, who, s) => (f >= 1 ? `将${who}加速到${num(f)}倍（现在${s}秒）` : `将${who}放慢到${num(f)}倍（现在${s}秒）`),
  badSpeed: (f) => `${num(f)}倍超出范围：请选择0.25倍到4倍。`,
  noVideoToSpeed: "只有图片，没有可以变速的视频片段。",
  muted: (who) => `将${who}的原声静音`,
  unmuted: (who) => `恢复了${who}的原声`,
  fade: (i, o) => (i && o ? "添加了开头淡入和结尾淡出" : i ? "添加了开头淡入" : "添加了结尾淡出"),
  fadeRemoved: "去掉了淡入淡出",
  wholeVideo: "视频",
  list: (names) => {
    const quoted = names.map((n) => `“${n}”`);
    return quoted.length > 3 ? `${quoted.slice(0, 3).join("、")}等${quoted.length}个片段` : quoted.join("和");
  },
  leftovers: (pieces) => `我没有理解${pieces.map((p) => `“${p}”`).join("、")}，这部分没有处理。`,
  noRenderer: "注意：本地模拟器没有ffmpeg，导出的视频不会包含这些修改。",
  editReply: (done, notes) => `好的！已${done.join("，")}。${notes.join("")}可以在时间线中预览效果，满意后点击导出按钮。`,
  nothingChanged: (notes) => `没有做任何修改。${notes.join("")}`,
  generatedReply: (s, extra, notes) =>
    `视频已生成：根据你的描述生成了一段${s}秒的视频并放到了时间线上${extra.length ? `，并${extra.join("，")}` : ""}。${notes.join("")}打开预览面板查看，满意后点击导出按钮。`,
  genericReply: (pieces) => `抱歉，这个操作我暂时还做不到${pieces.length ? `（${pieces.map((p) => `“${p}”`).join("、")}）` : ""}。${ZH_CAN}你想怎么修改？`,
  needMedia: "当前项目里还没有视频或图片。请先上传素材，或者描述你想生成的视频。",
};

export function wordsFor(language: string): Words {
  return language.toLowerCase().startsWith("zh") ? ZH : EN;
}
