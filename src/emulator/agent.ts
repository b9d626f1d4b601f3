import { randomBytes } from "node:crypto";
import type { ClipItem } from "./draft.js";
import { applyIntents, DEFAULT_MUSIC_VOLUME, type EditOutcome } from "./edits.js";
import { wordsFor } from "./replies.js";
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
  /** Renders really apply the edits (ffmpeg is there). */
  canRender: boolean;
  /** Titles and captions can be drawn (the font is there). */
  canDrawText: boolean;
}

export function isChinese(language: string): boolean {
  return language.toLowerCase().startsWith("zh");
}

export function planTurn(session: SessionRecord, message: string, ctx: AgentContext): TurnPlan {
  const clips = session.draft.clips;
  const hasVisual = clips.length > 0;
  const hasVideo = clips.some((c) => c.kind === "video");
  const { intents, leftovers } = understand(message, hasVideo);
  const say = wordsFor(session.language);
  const can = { text: ctx.canDrawText };
  const caveat = (outcome: EditOutcome) => (ctx.canRender || outcome.done.length === 0 ? outcome.notes : [...outcome.notes, say.noRenderer]);

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
        const outcome = applyIntents(s, others, say, can);
        return say.generatedReply(generate.seconds, outcome.done, caveat(outcome));
      },
    };
  }
  if (intents.length === 0) return { kind: "chat", cost: 1, apply: () => say.genericReply(leftovers) };
  if (!hasVisual) return { kind: "chat", cost: 1, apply: () => say.needMedia };

  // An understood request goes to the editing tool even when it turns out to change nothing; the reply then
  // says so. A dry run on a copy prices the turn by what will change.
  const trial = applyIntents(structuredClone(session), intents, say, can);
  const reply = (outcome: EditOutcome) => {
    const notes = [...caveat(outcome), ...(leftovers.length ? [say.leftovers(leftovers)] : [])];
    return outcome.done.length > 0 ? say.editReply(outcome.done, notes) : say.nothingChanged(notes);
  };
  return {
    kind: "edit",
    tool: { name: "edit_multitrack", args: { operations: intents.map(operationOf) } },
    cost: Math.min(5, 1 + trial.done.length),
    apply: (s) => reply(applyIntents(s, intents, say, can)),
  };
}

function operationOf(intent: Intent): Record<string, unknown> {
  switch (intent.type) {
    case "trim":
      return { op: "trim", duration_ms: Math.round(intent.seconds * 1000) };
    case "clip-trim":
      return { op: "trim_clip", clip: intent.clip ?? 1, ...(intent.seconds !== undefined ? { duration_ms: Math.round(intent.seconds * 1000) } : { from_ms: (intent.from ?? 0) * 1000, to_ms: (intent.to ?? 0) * 1000 }) };
    case "ratio":
      return { op: "set_canvas", ratio: intent.ratio, ...(intent.fit ? { fit: intent.fit } : {}) };
    case "fit":
      return { op: "set_canvas", fit: intent.fit };
    case "title":
      return { op: "add_text", track_type: 7, text: intent.text, start_ms: 0, duration_ms: 3000 };
    case "title-remove":
      return { op: "remove_text", track_type: 7 };
    case "music":
      return { op: "add_audio", track_type: 1, name: intent.stock ?? "uploaded", volume: intent.volume ?? DEFAULT_MUSIC_VOLUME };
    case "music-volume":
      return { op: "set_volume", track_type: 1, volume: intent.volume };
    case "music-remove":
      return { op: "remove_audio", track_type: 1 };
    case "captions":
      return { op: "add_captions", lines: intent.lines };
    case "captions-remove":
      return { op: "remove_captions" };
    case "join":
      return { op: "concatenate" };
    case "speed":
      return { op: "set_speed", speed: intent.factor, ...(intent.clip !== undefined ? { clip: intent.clip } : {}) };
    case "mute":
      return { op: intent.on ? "mute" : "unmute", ...(intent.clip !== undefined ? { clip: intent.clip } : {}) };
    case "fade":
      return { op: "fade", fade_in: intent.fadeIn, fade_out: intent.fadeOut };
    case "generate":
      return { op: "generate" };
  }
}

function generatedClip(prompt: string, secondsLong: number, ctx: AgentContext): ClipItem {
  const id = `gen_${randomBytes(5).toString("hex")}`;
  const ms = secondsLong * 1000;
  return { id, name: `seedance_${id}.mp4`, kind: "generated", usedMs: ms, sourceMs: ms, sourceOffsetMs: 0, src: `${ctx.cdnBase}/cdn/g/${id}.mp4`, speed: 1, muted: false };
}
