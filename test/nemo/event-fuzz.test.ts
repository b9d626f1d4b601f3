import { describe, expect, it } from "vitest";
import { parseAdkFrame } from "../../src/nemo/adk-event.js";
import { createFrameReader } from "../../src/nemo/sse-frames.js";
import type { TurnEvent } from "../../src/nemo/types.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * 100,000 random and mutated inputs through the stream's SSE framing and ADK event reading: none may
 * throw, hang, or produce an event outside the TurnEvent shapes. The generator is seeded, so a failure
 * names the seed and the input number to replay.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20250401);
const INPUTS = 100_000;

const VALID_EVENTS: unknown[] = [
  { content: { parts: [{ text: "Got it, trimming to 30 seconds…" }], role: "model" }, invocationId: "e-1", author: "nemo_agent", actions: { stateDelta: {}, artifactDelta: {}, requestedAuthConfigs: {} }, id: "ptcjaZBa", timestamp: 1743712255.31 },
  { content: { parts: [{ functionCall: { id: "adk-1", name: "edit_multitrack", args: { ops: [{ t: 0, sg: [] }] } } }], role: "model" }, author: "nemo_agent" },
  { content: { parts: [{ functionResponse: { id: "adk-1", name: "edit_multitrack", response: { ok: true } } }], role: "user" } },
  { content: { parts: [{ function_call: { id: "a", name: "generate_video_with_seedance" } }] }, invocation_id: "e", partial: true },
  { content: { parts: [{ text: "thinking", thought: true }, { text: "字幕已添加" }] }, partial: false },
  { errorCode: "MALFORMED_FUNCTION_CALL", errorMessage: "bad" },
  { error_code: 500, error_message: "snake" },
  { error: "I encountered a temporary issue" },
  { error: { message: "nested", code: 7 } },
  { code: 1002, message: "Session not found", data: null },
  { type: "heartbeat" },
  { heartbeat: Date.now() },
];
const VALID_FRAMES = VALID_EVENTS.map((e) => `data: ${JSON.stringify(e)}\n\n`);
const SPECIALS = ["\n", "\r", "\r\n", ":", "data:", "data: ", "event: x\n", "id: 1\n", "retry: x\n", "{", "}", "[", "]", '"', "\\", "\u0000", "\uFFFD", "😀", "\u2028"];

function makeInput(random: () => number): string {
  const pickOf = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const kind = Math.floor(random() * 10);
  switch (kind) {
    case 0: {
      // Random bytes, decoded as the stream decodes them.
      const bytes = Buffer.alloc(Math.floor(random() * 400));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      return new TextDecoder().decode(bytes);
    }
    case 1:
    case 2: {
      // A valid frame, truncated.
      const frame = pickOf(VALID_FRAMES);
      return frame.slice(0, Math.floor(random() * frame.length));
    }
    case 3:
    case 4: {
      // Valid frames with characters flipped, dropped or inserted.
      let text = VALID_FRAMES.filter(() => random() < 0.3).join("") || pickOf(VALID_FRAMES);
      const edits = 1 + Math.floor(random() * 6);
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(random() * text.length);
        const op = random();
        if (op < 0.33) text = text.slice(0, at) + pickOf(SPECIALS) + text.slice(at + 1);
        else if (op < 0.66) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 10));
        else text = text.slice(0, at) + pickOf(SPECIALS) + text.slice(at);
      }
      return text;
    }
    case 5: {
      // Structure that is valid JSON but of the wrong types.
      const values = [null, 1, "s", true, [], {}, [1], { parts: 1 }, { content: null }, { content: { parts: null } }, { content: { parts: [null, 1, "x", { text: 5 }, { functionCall: "x" }, { functionCall: { name: {} } }] } }, { errorCode: {}, errorMessage: [] }, { error: 0 }, { error: false }, { code: "2001" }, { partial: "yes", content: { parts: [{ text: "" }] } }];
      return `data: ${JSON.stringify(pickOf(values))}\n\n`;
    }
    case 6: {
      // Deep nesting, in arrays and inside the fields the reader looks at.
      const depth = 1 + Math.floor(random() * 3000);
      const nested = random() < 0.5 ? "[".repeat(depth) + "]".repeat(depth) : '{"content":'.repeat(depth) + "1" + "}".repeat(depth);
      return `data: ${random() < 0.2 ? nested.slice(0, nested.length - 1) : nested}\n\n`;
    }
    case 7: {
      // Lines of SSE junk: comments, unknown fields, bare CRs, multi-line data.
      let text = "";
      const lines = 1 + Math.floor(random() * 12);
      for (let i = 0; i < lines; i++) {
        text += pickOf([": ping", "data:", "data: {}", "data: {\"a\":", "data: 1}", "foo: bar", "event: message", "retry: 10", "id: 5", "", "data: \"str\""]);
        text += pickOf(["\n", "\r", "\r\n"]);
      }
      return text;
    }
    case 8:
      return pickOf(VALID_FRAMES) + pickOf(VALID_FRAMES);
    default: {
      // A moderately long text in a valid event (huge ones are tested below, fewer of them).
      const text = "x".repeat(Math.floor(random() * 5000));
      return `data: ${JSON.stringify({ content: { parts: [{ text }] } })}\n\n`;
    }
  }
}

const TYPES = new Set(["text", "tool-call", "tool-result", "heartbeat", "error", "cut-short", "invalid"]);

function checkEvent(event: TurnEvent): void {
  if (!TYPES.has(event.type)) throw new Error(`unexpected event type ${String(event.type)}`);
  if (event.type === "text" && (typeof event.text !== "string" || typeof event.partial !== "boolean")) throw new Error("bad text event");
  if ((event.type === "tool-call" || event.type === "tool-result") && typeof event.name !== "string") throw new Error("bad tool event");
  if (event.type === "error" && typeof event.message !== "string") throw new Error("bad error event");
  if (event.type === "cut-short" && typeof event.reason !== "string") throw new Error("bad cut-short event");
  if (event.type === "invalid" && typeof event.raw !== "string") throw new Error("bad invalid event");
}

/** Feeds one input the way the network does: in random slices, then the close. */
function run(input: string, random: () => number, maxFrameChars?: number): number {
  let count = 0;
  const reader = createFrameReader(
    {
      onData: (data) => {
        for (const event of parseAdkFrame(data).events) {
          checkEvent(event);
          count += 1;
        }
      },
      onComment: () => {
        count += 1;
      },
      onOverflow: () => {
        count += 1;
      },
    },
    maxFrameChars,
  );
  let at = 0;
  while (at < input.length) {
    const size = 1 + Math.floor(random() * 512);
    reader.feed(input.slice(at, at + size));
    at += size;
  }
  reader.end();
  return count;
}

describe("event stream fuzzing", () => {
  it(`survives ${INPUTS} random and mutated inputs (seed ${SEED})`, () => {
    const random = mulberry32(SEED);
    let events = 0;
    for (let i = 0; i < INPUTS; i++) {
      const input = makeInput(random);
      try {
        events += run(input, random, i % 10 === 0 ? 256 : undefined);
      } catch (error) {
        throw new Error(`input #${i} (seed ${SEED}) threw: ${String(error)}\n${JSON.stringify(input.slice(0, 500))}`);
      }
    }
    // The valid frames among the inputs must have produced events: the harness is not feeding nothing.
    expect(events).toBeGreaterThan(INPUTS / 2);
  }, 240_000);

  it("survives huge strings and very deep nesting, keeping reports small", () => {
    const random = mulberry32(SEED + 1);
    const huge = "y".repeat(5_000_000);
    const inputs = [
      `data: ${JSON.stringify({ content: { parts: [{ text: huge }] } })}\n\n`,
      `data: ${huge}\n\n`,
      `data: {"error": "${huge}"}\n\n`,
      `data: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n\n`,
      `data: ${'{"a":'.repeat(200_000)}1${"}".repeat(200_000)}\n\n`,
      `: ${huge}\n\n`,
    ];
    for (const input of inputs) expect(() => run(input, random)).not.toThrow();
    const seen: TurnEvent[] = [];
    const reader = createFrameReader(
      { onData: (d) => seen.push(...parseAdkFrame(d).events), onComment: () => undefined, onOverflow: () => seen.push({ type: "invalid", raw: "overflow" }) },
      1_000_000,
    );
    // A frame over the cap is dropped; the next frame is read normally.
    reader.feed(`data: ${huge}\n\ndata: {"content":{"parts":[{"text":"after"}]}}\n\n`);
    reader.end();
    expect(seen.at(-1)).toEqual({ type: "text", text: "after", partial: false });
    expect(seen.some((e) => e.type === "invalid")).toBe(true);
    expect(seen.filter((e) => e.type === "invalid").every((e) => e.type === "invalid" && e.raw.length < 3_000)).toBe(true);
  }, 60_000);
});
