import { randomBytes } from "node:crypto";
import { clipMs, totalMs, type ClipItem, type DraftModel } from "./draft.js";
import type { Words } from "./replies.js";
import type { SessionRecord } from "./store.js";
import type { ClipRef, Intent } from "./understand.js";

/**
 * Applies what the user asked to a session's draft. Each request either changes the draft and says
 * so (`done`), or changes nothing and says plainly why (`notes`): a reply never claims an edit that
 * the draft, and so the rendered MP4, does not have.
 */

export interface EditOutcome {
  done: string[];
  notes: string[];
}

export interface EditAbilities {
  /** Text can be drawn (the font is there). */
  text: boolean;
}

export const DEFAULT_MUSIC_VOLUME = 0.35;
const MIN_SPEED = 0.25;
const MAX_SPEED = 4;

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

export function applyIntents(session: SessionRecord, intents: Intent[], say: Words, can: EditAbilities): EditOutcome {
  const out: EditOutcome = { done: [], notes: [] };
  for (const intent of intents) applyOne(session, intent, say, can, out);
  return out;
}

function applyOne(session: SessionRecord, intent: Intent, say: Words, can: EditAbilities, out: EditOutcome): void {
  const draft = session.draft;
  switch (intent.type) {
    case "trim": {
      const full = draft.clips.reduce((acc, c) => acc + clipMs(c), 0);
      const wanted = Math.round(intent.seconds * 1000);
      if (full <= wanted) {
        draft.targetMs = undefined;
        out.notes.push(say.alreadyShorter(seconds(full), intent.seconds));
      } else {
        draft.targetMs = wanted;
        out.done.push(say.trimmed(intent.seconds));
      }
      return;
    }
    case "clip-trim":
      return trimClip(draft, intent, say, out);
    case "ratio":
      draft.ratio = intent.ratio;
      if (intent.fit) draft.fit = intent.fit;
      out.done.push(say.ratio(intent.ratio, intent.platform, intent.fit));
      return;
    case "fit":
      draft.fit = intent.fit;
      out.done.push(say.fit(intent.fit));
      return;
    case "title":
      if (!intent.text) return void out.notes.push(say.titleNeedsWords);
      if (!can.text) return void out.notes.push(say.noFont);
      draft.title = intent.text;
      out.done.push(say.title(intent.text));
      return;
    case "title-remove":
      if (draft.title === undefined) return void out.notes.push(say.noTitle);
      draft.title = undefined;
      out.done.push(say.titleRemoved);
      return;
    case "music":
      return addMusic(session, intent, say, out);
    case "music-volume":
      if (!draft.music) return void out.notes.push(say.noMusicForVolume);
      if (!(intent.volume > 0 && intent.volume <= 1)) return void out.notes.push(say.badVolume(intent.volume * 100));
      draft.music.volume = intent.volume;
      out.done.push(say.musicVolume(draft.music.name, intent.volume * 100));
      return;
    case "music-remove":
      if (!draft.music) return void out.notes.push(say.noMusic);
      draft.music = undefined;
      out.done.push(say.musicRemoved);
      return;
    case "captions":
      if (intent.lines.length === 0) return void out.notes.push(say.captionsNeedWords);
      if (!can.text) return void out.notes.push(say.noFont);
      draft.captions = [...intent.lines];
      out.done.push(say.captions(intent.lines.length, intent.lines[0]!));
      return;
    case "captions-remove":
      if (draft.captions.length === 0) return void out.notes.push(say.noCaptions);
      draft.captions = [];
      out.done.push(say.captionsRemoved);
      return;
    case "join":
      if (draft.clips.length < 2) return void out.notes.push(say.nothingToJoin(draft.clips[0]?.name ?? "-"));
      out.done.push(say.joined(say.list(draft.clips.map((c) => c.name)), seconds(totalMs(draft))));
      return;
    case "speed":
      return changeSpeed(draft, intent, say, out);
    case "mute": {
      const targets = pick(draft, intent.clip, say, out);
      if (!targets) return;
      for (const clip of targets) clip.muted = intent.on;
      const who = intent.clip === undefined ? say.wholeVideo : say.list(targets.map((c) => c.name));
      out.done.push(intent.on ? say.muted(who) : say.unmuted(who));
      return;
    }
    case "fade":
      if (!intent.fadeIn && !intent.fadeOut) {
        draft.fadeIn = false;
        draft.fadeOut = false;
        out.done.push(say.fadeRemoved);
        return;
      }
      if (intent.fadeIn) draft.fadeIn = true;
      if (intent.fadeOut) draft.fadeOut = true;
      out.done.push(say.fade(intent.fadeIn, intent.fadeOut));
      return;
    case "generate":
      return;
  }
}

/** The clips a request names: one by its place, or all of them; undefined (with a note) when there is no such clip. */
function pick(draft: DraftModel, ref: ClipRef | undefined, say: Words, out: EditOutcome): ClipItem[] | undefined {
  if (ref === undefined) return draft.clips;
  const index = ref === "last" ? draft.clips.length - 1 : ref - 1;
  const clip = draft.clips[index];
  if (!clip) {
    out.notes.push(say.noSuchClip(ref === "last" ? "last" : ordinal(ref), draft.clips.length));
    return undefined;
  }
  return [clip];
}

function ordinal(n: number): string {
  const words = ["first", "second", "third", "fourth", "fifth"];
  return words[n - 1] ?? `#${n}`;
}

function trimClip(draft: DraftModel, intent: Extract<Intent, { type: "clip-trim" }>, say: Words, out: EditOutcome): void {
  if (intent.clip === undefined && draft.clips.length > 1) return void out.notes.push(say.whichClip(draft.clips.length));
  const clip = pick(draft, intent.clip ?? 1, say, out)?.[0];
  if (!clip) return;
  const limit = clip.sourceMs ?? Number.POSITIVE_INFINITY;
  if (intent.from !== undefined && intent.to !== undefined) {
    const from = Math.round(intent.from * 1000);
    const to = Math.round(intent.to * 1000);
    if (!(to > from) || to > limit + 50) return void out.notes.push(say.badSpan(clip.name));
    clip.sourceOffsetMs = from;
    clip.usedMs = Math.min(to, limit) - from;
    out.done.push(say.clipSpan(clip.name, seconds(from), seconds(Math.min(to, limit))));
    return;
  }
  // A length on the timeline: at 2x speed, 2 seconds play 4 seconds of the source.
  const wanted = Math.round((intent.seconds ?? 0) * 1000 * clip.speed);
  if (!(wanted > 0)) return;
  if (clip.sourceOffsetMs + wanted > limit + 50) return void out.notes.push(say.clipTooShort(clip.name, seconds((limit - clip.sourceOffsetMs) / clip.speed)));
  clip.usedMs = Math.min(wanted, limit - clip.sourceOffsetMs);
  out.done.push(say.clipTrimmed(clip.name, seconds(clipMs(clip))));
}

function changeSpeed(draft: DraftModel, intent: Extract<Intent, { type: "speed" }>, say: Words, out: EditOutcome): void {
  if (!(intent.factor >= MIN_SPEED && intent.factor <= MAX_SPEED)) return void out.notes.push(say.badSpeed(intent.factor));
  const named = pick(draft, intent.clip, say, out);
  if (!named) return;
  // A photo has no motion to speed up: it keeps the time it was given.
  const moving = named.filter((c) => c.kind !== "image");
  if (moving.length === 0) return void out.notes.push(say.noVideoToSpeed);
  for (const clip of moving) clip.speed = intent.factor;
  const who = intent.clip === undefined ? say.wholeVideo : say.list(moving.map((c) => c.name));
  out.done.push(say.speed(intent.factor, who, seconds(intent.clip === undefined ? totalMs(draft) : clipMs(moving[0]!))));
}

function addMusic(session: SessionRecord, intent: Extract<Intent, { type: "music" }>, say: Words, out: EditOutcome): void {
  const draft = session.draft;
  if (intent.volume !== undefined && !(intent.volume > 0 && intent.volume <= 1)) return void out.notes.push(say.badVolume(intent.volume * 100));
  // "music at 30%" with music already there and no new kind asked for: the same music, a new volume.
  if (!intent.stock && intent.volume !== undefined && draft.music) {
    draft.music.volume = intent.volume;
    out.done.push(say.musicVolume(draft.music.name, intent.volume * 100));
    return;
  }
  const volume = intent.volume ?? DEFAULT_MUSIC_VOLUME;
  const uploaded = intent.stock ? undefined : [...session.uploads].reverse().find((u) => u.fileType === "audio");
  const name = uploaded ? uploaded.filename : (intent.stock ?? "Lo-fi");
  draft.music = { id: `bgm_${randomBytes(3).toString("hex")}`, name, volume, ...(uploaded ? { src: uploaded.cdnUrl } : {}) };
  out.done.push(say.music(name, volume * 100, uploaded !== undefined));
}
