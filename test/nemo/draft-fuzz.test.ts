import { describe, expect, it } from "vitest";
import { isExportReady, readDraft } from "../../src/nemo/draft.js";
import { describeDraftChanges } from "../../src/present/draft-changes.js";
import { summarizeTimeline } from "../../src/present/timeline-summary.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * 100,000 random and mutated drafts through every reader: none may throw or hang, and the answers
 * must keep their shape. The run is seeded, so a failure names the draft that caused it.
 */

const RUNS = 100_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const KEYS = ["t", "tt", "sg", "d", "m", "n", "name", "s", "start", "e", "end", "v", "volume", "k", "txt", "src", "url", "ratio", "width", "height", "title", "tracks", "segments", "x"];
const STRINGS = ["", "NaN", "-1", "1e309", "Infinity", "-0", "0x10", " 12 ", "9:16", "abc", "字幕", "captions", "a\u0000b\nc", "%E0%A4%A", "../../etc/passwd", "https://x/y/z.mp4?sig=1", "🎬".repeat(50), "x".repeat(5000)];
const NUMBERS = [0, -0, 1, -1, 0.35, 35, 100, 101, 7, 3, 1e21, -1e21, 1.5e11, Number.MAX_SAFE_INTEGER, 2.5, -5000, 10_000];

function randomJson(depth: number): unknown {
  const roll = depth <= 0 ? int(4) : int(7);
  switch (roll) {
    case 0:
      return pick([null, true, false]);
    case 1:
      return pick(NUMBERS);
    case 2:
      return random() < 0.5 ? pick(STRINGS) : String(random() * 1e6 - 5e5);
    case 3:
      return int(2) === 0 ? random() * 1e5 : -int(1e6);
    case 4:
    case 5: {
      const obj: Record<string, unknown> = {};
      for (let i = int(6); i > 0; i--) obj[pick(KEYS)] = randomJson(depth - 1);
      return obj;
    }
    default:
      return Array.from({ length: int(6) }, () => randomJson(depth - 1));
  }
}

function validDraft(): Record<string, unknown> {
  const tracks = Array.from({ length: int(6) }, () => {
    const tt = pick([0, 1, 7, 7]);
    const captions = tt === 7 && random() < 0.4;
    const sg = Array.from({ length: int(5) }, (_, i) => {
      const s = i * 1000 * int(10);
      if (tt === 0) return { id: `v${i}`, n: `clip${int(4)}.mp4`, s, d: 1000 * (1 + int(30)), src: "https://cdn/x.mp4", ss: 0 };
      if (tt === 1) return { n: pick(["Lo-fi", "Upbeat", "Piano"]), s, d: 10_000, v: pick([0.35, 0.5, 1, 80]) };
      return { txt: pick(["Summer Vibes", "Urban Dreams", "Hi", "字幕一行"]), s, d: 3000 };
    });
    return captions ? { tt, k: "captions", sg } : { tt, sg };
  });
  return { t: tracks, d: 1000 * int(120), m: { width: pick([1080, 1920]), height: pick([1080, 1920]), ratio: pick(["9:16", "16:9", "1:1", undefined]) } };
}

/** A random place inside a JSON value, as the container and the key or index there. */
function randomSlot(root: unknown): { holder: Record<string, unknown> | unknown[]; key: string | number } | undefined {
  let node = root;
  let slot: { holder: Record<string, unknown> | unknown[]; key: string | number } | undefined;
  for (let depth = 0; depth < 6; depth++) {
    if (Array.isArray(node) && node.length > 0) {
      const key = int(node.length);
      slot = { holder: node, key };
      node = node[key];
    } else if (typeof node === "object" && node !== null && Object.keys(node).length > 0) {
      const key = pick(Object.keys(node));
      slot = { holder: node as Record<string, unknown>, key };
      node = (node as Record<string, unknown>)[key];
    } else break;
    if (random() < 0.3) break;
  }
  return slot;
}

function deepNest(depth: number): unknown {
  let value: unknown = { n: "bottom" };
  for (let i = 0; i < depth; i++) value = random() < 0.5 ? [value] : { sg: value, t: value };
  return value;
}

function mutate(draft: Record<string, unknown>): unknown {
  const slot = randomSlot(draft);
  if (slot === undefined) return draft;
  const { holder, key } = slot;
  const set = (value: unknown) => {
    if (Array.isArray(holder)) holder[key as number] = value;
    else holder[key as string] = value;
  };
  switch (int(8)) {
    case 0:
      if (Array.isArray(holder)) holder.splice(key as number, 1);
      else delete holder[key as string];
      break;
    case 1:
      set(pick(STRINGS));
      break;
    case 2:
      set(-Math.abs(Number(random() * 1e6)));
      break;
    case 3:
      set(randomJson(3));
      break;
    case 4:
      set([Array.isArray(holder) ? holder[key as number] : holder[key as string]]);
      break;
    case 5:
      set(deepNest(50 + int(200)));
      break;
    case 6:
      set(null);
      break;
    default:
      set(pick(["NaN", "-Infinity", "1e999", "12abc"]));
  }
  return draft;
}

function hugeDraft(): Record<string, unknown> {
  const sg = Array.from({ length: 10_000 }, (_, i) => ({ n: `c${i % 50}.mp4`, s: i * 100, d: 100, v: i % 3 }));
  return { t: [{ tt: 0, sg }, { tt: 1, sg }, { tt: 7, k: "captions", sg }], d: 1_000_000 };
}

function nextDraft(i: number): unknown {
  if (i % 5000 === 0) return hugeDraft();
  if (i % 5000 === 1) return { t: [{ tt: 0, sg: [deepNest(10_000)] }], m: deepNest(10_000) };
  if (i % 5000 === 2) return { t: Array.from({ length: 5000 }, () => ({ tt: int(8), sg: [{}] })) };
  if (i % 5000 === 3) return JSON.stringify(validDraft());
  const roll = random();
  if (roll < 0.3) return randomJson(5);
  if (roll < 0.5) return validDraft();
  let draft: unknown = validDraft();
  for (let n = 1 + int(4); n > 0; n--) draft = mutate(draft as Record<string, unknown>);
  return draft;
}

describe("drafts from anywhere", () => {
  it(
    `reads ${RUNS.toLocaleString("en")} random and mutated drafts without throwing (seed ${SEED})`,
    () => {
      let previous: unknown = undefined;
      let ready = 0;
      for (let i = 0; i < RUNS; i++) {
        const draft = nextDraft(i);
        const locale = i % 2 === 0 ? "en" : "zh-CN";
        try {
          const timeline = readDraft(draft);
          const summary = summarizeTimeline(draft, locale);
          const changes = describeDraftChanges(previous, draft, locale);
          const exportable = isExportReady(draft);
          if (exportable) ready++;

          if (typeof summary !== "string" || summary === "") throw new Error("empty summary");
          // Only line breaks between tracks: no control characters from the draft reach the chat.
          // eslint-disable-next-line no-control-regex -- looking for control characters is the point
          if (/[\u0000-\u0009\u000b-\u001f]/.test(summary)) throw new Error("control character in summary");
          if (summary.split("\n").length > 25) throw new Error("summary too long");
          if (!Array.isArray(changes) || changes.length > 8 || changes.some((c) => typeof c !== "string" || c === "")) {
            throw new Error("bad change list");
          }
          if (exportable && timeline === undefined) throw new Error("exportable but unreadable");
          if (timeline !== undefined) {
            if (timeline.tracks.length > 100) throw new Error("track cap ignored");
            if (timeline.tracks.some((t) => t.segments.length > 1000)) throw new Error("segment cap ignored");
            if (timeline.durationMs !== undefined && !(timeline.durationMs >= 0)) throw new Error("negative duration");
          }
          // Nothing changes between a draft and itself.
          if (describeDraftChanges(draft, draft, locale).length !== 0) throw new Error("a draft differs from itself");
        } catch (error) {
          const shown = typeof draft === "string" ? draft : JSON.stringify(draft)?.slice(0, 500);
          throw new Error(`draft #${i} (seed ${SEED}) failed: ${(error as Error).message}\n${shown}`, { cause: error });
        }
        previous = draft;
      }
      // The generator really made both kinds: a fuzz run that never reaches real drafts proves little.
      expect(ready).toBeGreaterThan(RUNS / 10);
      expect(ready).toBeLessThan(RUNS);
    },
    120_000,
  );

  it("tells a changed copy from an equal copy among random valid drafts", () => {
    for (let i = 0; i < 2000; i++) {
      const draft = validDraft();
      const copy = JSON.parse(JSON.stringify(draft)) as Record<string, unknown>;
      expect(describeDraftChanges(draft, copy, "en")).toEqual([]);
      copy.extra = i;
      expect(describeDraftChanges(draft, copy, "en")).toEqual(["updated the timeline"]);
    }
  });
});
