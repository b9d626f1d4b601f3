import { randomBytes } from "node:crypto";
import type { ClipItem } from "./draft.js";
import type { SessionRecord } from "./store.js";
import { understand, type Intent } from "./understand.js";

/**
 * The emulated agent: what a message does to a session's draft and what it answers, in the
 * session's language, GUI phrases included (the bot must translate "click the Export button").
 */

export type TurnKind = "edit" | "generate" | "chat";

export interface TurnPlan {
  kind: TurnKind;
  /** The tool the turn calls, with its arguments (an internal event the user never sees). */
  tool?: { name: "edit_multitrack" | "generate_video_with_seedance"; args: Record<string, unknown> };
  /** Credits the turn costs (1–5). */
  cost: number;
  /** Changes the draft and returns the final text; called when the tool finishes. */
  apply(session: SessionRecord): string;
}

export interface AgentContext {
  /** Base URL for generated media. */
  cdnBase: string;
}

const BGM_VOLUME = 0.35;

export function isChinese(language: string): boolean {
  return language.toLowerCase().startsWith("zh");
}

export function planTurn(session: SessionRecord, message: string, ctx: AgentContext): TurnPlan {
  const clips = session.draft.clips;
  const hasVisual = clips.length > 0;
  const hasVideo = clips.some((c) => c.kind === "video");
  const intents = understand(message, hasVideo);
  const zh = isChinese(session.language);

  const generate = intents.find((i): i is Extract<Intent, { type: "generate" }> => i.type === "generate");
  if (generate) {
    const others = intents.filter((i) => i.type !== "generate");
    return {
      kind: "generate",
      tool: {
        name: "generate_video_with_seedance",
        args: { prompt: generate.prompt, duration: generate.seconds, images: clips.filter((c) => c.kind === "image").map((c) => c.src) },
      },
      cost: 5,
      apply: (s) => {
        const clip = generatedClip(generate.prompt, generate.seconds, ctx);
        s.draft.clips.push(clip);
        s.generated.push({ id: clip.id, prompt: generate.prompt, url: clip.src, duration: generate.seconds });
        if (!s.draft.naturalRatio) s.draft.naturalRatio = "16:9";
        const extra = applyEdits(s, others, zh);
        return generatedReply(generate.seconds, extra, zh);
      },
    };
  }
  if (intents.length === 0) return { kind: "chat", cost: 1, apply: () => genericReply(zh) };
  if (!hasVisual) return { kind: "chat", cost: 1, apply: () => needMediaReply(zh) };

  return {
    kind: "edit",
    tool: { name: "edit_multitrack", args: { operations: intents.map(operationOf) } },
    cost: Math.min(5, 1 + intents.length),
    apply: (s) => editReply(applyEdits(s, intents, zh), zh),
  };
}

/** Applies the edits and returns one phrase per change, in the session's language. */
function applyEdits(session: SessionRecord, intents: Intent[], zh: boolean): string[] {
  const draft = session.draft;
  const phrases: string[] = [];
  for (const intent of intents) {
    switch (intent.type) {
      case "trim": {
        const full = draft.clips.reduce((acc, c) => acc + c.durationMs, 0);
        const wanted = Math.round(intent.seconds * 1000);
        if (full <= wanted) {
          draft.targetMs = undefined;
          const have = seconds(full);
          phrases.push(zh ? `视频只有${have}秒，已经短于${intent.seconds}秒，时长保持不变` : `the video is ${have} seconds long, already shorter than ${intent.seconds} seconds, so I kept its length`);
        } else {
          draft.targetMs = wanted;
          phrases.push(zh ? `将视频剪辑为${intent.seconds}秒` : `trimmed the video to ${intent.seconds} seconds`);
        }
        break;
      }
      case "ratio": {
        draft.ratio = intent.ratio;
        const shape = intent.ratio === "9:16" ? (zh ? "竖屏" : "vertical") : intent.ratio === "1:1" ? (zh ? "方形" : "square") : zh ? "横屏" : "landscape";
        const platform = intent.platform ? (zh ? `，适合${intent.platform}` : `, ready for ${intent.platform}`) : "";
        phrases.push(zh ? `将画面比例调整为${intent.ratio}（${shape}${platform}）` : `changed the aspect ratio to ${intent.ratio} (${shape}${platform})`);
        break;
      }
      case "title":
        draft.title = intent.text;
        phrases.push(zh ? `在开头添加了标题“${intent.text}”` : `added the title "${intent.text}" at the start`);
        break;
      case "title-remove":
        draft.title = undefined;
        phrases.push(zh ? "去掉了标题" : "removed the title");
        break;
      case "music": {
        const uploaded = intent.stock ? undefined : [...session.uploads].reverse().find((u) => u.fileType === "audio");
        const name = uploaded ? uploaded.filename : (intent.stock ?? "Lo-fi");
        draft.music = { id: `bgm_${randomBytes(3).toString("hex")}`, name, volume: BGM_VOLUME, ...(uploaded ? { src: uploaded.cdnUrl } : {}) };
        const pct = Math.round(BGM_VOLUME * 100);
        phrases.push(
          uploaded
            ? zh ? `用你上传的“${name}”作为背景音乐（音量${pct}%）` : `added your audio "${name}" as background music at ${pct}% volume`
            : zh ? `添加了背景音乐“${name}”（音量${pct}%）` : `added the "${name}" track as background music at ${pct}% volume`,
        );
        break;
      }
      case "music-remove":
        draft.music = undefined;
        phrases.push(zh ? "去掉了背景音乐" : "removed the background music");
        break;
      case "captions":
        draft.captions = intent.on;
        phrases.push(intent.on ? (zh ? "添加了自动字幕" : "added captions") : zh ? "去掉了字幕" : "removed the captions");
        break;
      case "generate":
        break;
    }
  }
  return phrases;
}

function operationOf(intent: Intent): Record<string, unknown> {
  switch (intent.type) {
    case "trim":
      return { op: "trim", duration_ms: Math.round(intent.seconds * 1000) };
    case "ratio":
      return { op: "set_canvas", ratio: intent.ratio };
    case "title":
      return { op: "add_text", track_type: 7, text: intent.text, start_ms: 0, duration_ms: 3000 };
    case "title-remove":
      return { op: "remove_text", track_type: 7 };
    case "music":
      return { op: "add_audio", track_type: 1, name: intent.stock ?? "uploaded", volume: BGM_VOLUME };
    case "music-remove":
      return { op: "remove_audio", track_type: 1 };
    case "captions":
      return { op: intent.on ? "add_captions" : "remove_captions" };
    case "generate":
      return { op: "generate" };
  }
}

function generatedClip(prompt: string, secondsLong: number, ctx: AgentContext): ClipItem {
  const id = `gen_${randomBytes(5).toString("hex")}`;
  return { id, name: `seedance_${id}.mp4`, kind: "generated", durationMs: secondsLong * 1000, sourceOffsetMs: 0, src: `${ctx.cdnBase}/cdn/g/${id}.mp4` };
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function joinPhrases(phrases: string[], zh: boolean): string {
  if (zh) return phrases.join("，");
  if (phrases.length <= 1) return phrases.join("");
  return `${phrases.slice(0, -1).join(", ")} and ${phrases[phrases.length - 1]}`;
}

function editReply(phrases: string[], zh: boolean): string {
  if (zh) return `好的！已${joinPhrases(phrases, zh)}。可以在时间线中预览效果，满意后点击导出按钮。`;
  return `Done! I ${joinPhrases(phrases, zh)}. You can preview it in the timeline. When you're happy, click the Export button.`;
}

function generatedReply(secondsLong: number, extra: string[], zh: boolean): string {
  if (zh) {
    const more = extra.length ? `，并${joinPhrases(extra, zh)}` : "";
    return `视频已生成：根据你的描述生成了一段${secondsLong}秒的视频并放到了时间线上${more}。打开预览面板查看，满意后点击导出按钮。`;
  }
  const more = extra.length ? ` I also ${joinPhrases(extra, zh)}.` : "";
  return `Your video is ready: I generated a ${secondsLong}-second clip from your description and put it on the timeline.${more} Open the preview panel to watch it, and click the Export button when you're happy.`;
}

function genericReply(zh: boolean): string {
  if (zh) return "抱歉，这个操作我暂时还做不到。我可以剪辑时长、调整画面比例（9:16、1:1、16:9）、添加标题、添加背景音乐或开关字幕。你想怎么修改？";
  return "Sorry, I can't do that in this project yet. I can trim the video, change the aspect ratio (9:16, 1:1, 16:9), add a title, add background music or turn captions on and off. What would you like to change?";
}

function needMediaReply(zh: boolean): string {
  if (zh) return "当前项目里还没有视频或图片。请先上传素材，或者描述你想生成的视频。";
  return "I don't see any video or images in this project yet. Upload a clip or some photos, or describe the video you'd like me to generate.";
}
