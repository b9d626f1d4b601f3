import { createParser, type ParseError } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { completeUtf8, FrameReader } from "../../src/nemo/sse-frames.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * The stream's own SSE reader reads exactly as eventsource-parser behind a streaming TextDecoder
 * (what the stream used before, kept here as the reference): the same frames, heartbeats and
 * overflows, in the same order, for random bytes in random slices. Seeded: a failure names the seed
 * and the input to replay.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const INPUTS = 20_000;

type Seen = ["data", string] | ["comment"] | ["overflow"];

/** The reference: TextDecoder (streaming) into eventsource-parser, reset after an overflow. */
function reference(chunks: Buffer[], maxFrameChars: number): Seen[] {
  const seen: Seen[] = [];
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: maxFrameChars,
    onEvent: (message) => seen.push(["data", message.data]),
    onComment: () => seen.push(["comment"]),
    onError: (error: ParseError) => {
      if (error.type !== "max-buffer-size-exceeded") return;
      overflowed = true;
      seen.push(["overflow"]);
    },
  });
  const feed = (text: string) => {
    parser.feed(text);
    if (overflowed) {
      parser.reset();
      overflowed = false;
    }
  };
  const decoder = new TextDecoder("utf-8");
  for (const chunk of chunks) feed(decoder.decode(chunk, { stream: true }));
  feed(decoder.decode());
  feed("\n\n");
  return seen;
}

function ours(chunks: Buffer[], maxFrameChars: number): Seen[] {
  const seen: Seen[] = [];
  const reader = new FrameReader(
    {
      onData: (data) => seen.push(["data", data]),
      onComment: () => seen.push(["comment"]),
      onOverflow: () => seen.push(["overflow"]),
    },
    maxFrameChars,
  );
  for (const chunk of chunks) reader.feedBytes(chunk);
  reader.endBytes();
  return seen;
}

const PIECES = [
  "data:",
  "data: ",
  "data",
  "datum: x",
  "data:x",
  ": ping",
  ":",
  "event: message",
  "id: 7",
  "retry: 10",
  "retry: x",
  "foo: bar",
  "foo",
  '{"content":{"parts":[{"text":"hé 字幕 😀"}]}}',
  "\u00ef\u00bb\u00bf",
  "\ufeff",
  "x".repeat(40),
  " ",
];
const ENDS = ["\n", "\r", "\r\n", "\n\n", "\r\r", "\r\n\r\n", ""];
/** Bytes that are not, or not yet, UTF-8: lone leads, stray continuations, overlongs, surrogates, the BOM. */
const RAW = [[0xef, 0xbb, 0xbf], [0xe2], [0xe2, 0x82], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90], [0xe0, 0x80], [0xff], [0xc3]];

function makeInput(random: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const parts: Buffer[] = [];
  if (random() < 0.1) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  const count = 1 + Math.floor(random() * 20);
  for (let i = 0; i < count; i += 1) {
    const r = random();
    if (r < 0.15) parts.push(Buffer.from(pick(RAW)));
    else if (r < 0.2) parts.push(Buffer.from(Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 256))));
    else parts.push(Buffer.from(pick(PIECES) + pick(ENDS)));
  }
  return Buffer.concat(parts);
}

/** Cut into slices of 1 to 16 bytes (or whole), as the network does. */
function slices(input: Buffer, random: () => number): Buffer[] {
  if (random() < 0.1) return [input];
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; ) {
    const size = 1 + Math.floor(random() * 16);
    out.push(input.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe("the stream's SSE reader", () => {
  it(`reads ${INPUTS} random inputs in random slices as eventsource-parser behind TextDecoder does (seed ${SEED})`, () => {
    const random = mulberry32(SEED);
    let frames = 0;
    for (let i = 0; i < INPUTS; i += 1) {
      const input = makeInput(random);
      const chunks = slices(input, random);
      const max = random() < 0.2 ? 1 + Math.floor(random() * 60) : 1_000_000;
      const expected = reference(chunks, max);
      const actual = ours(chunks, max);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`input #${i} (seed ${SEED}, max ${max}) read differently\ninput ${input.toString("hex")}\nslices ${chunks.map((c) => c.length).join(",")}\nexpected ${JSON.stringify(expected)}\nactual   ${JSON.stringify(actual)}`);
      }
      frames += expected.length;
    }
    // The inputs do make frames: the comparison is not of two empty lists.
    expect(frames).toBeGreaterThan(INPUTS);
  }, 120_000);

  it("holds back only the start of a character that may still be completed", () => {
    const euro = Buffer.from("€");
    expect(completeUtf8(Buffer.from("ab"))).toBe(2);
    expect(completeUtf8(Buffer.concat([Buffer.from("a"), euro.subarray(0, 2)]))).toBe(1);
    expect(completeUtf8(Buffer.concat([Buffer.from("a"), euro]))).toBe(4);
    // E0 80 can never start a character: decoded (as U+FFFD) at once.
    expect(completeUtf8(Buffer.from([0x61, 0xe0, 0x80]))).toBe(3);
  });

  it("a frame split inside a character, and a heartbeat, come through whole", () => {
    const bytes = Buffer.from('data: {"text":"字幕已添加"}\n\n: ping\n\n');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(ours(chunks, 1_000)).toEqual([["data", '{"text":"字幕已添加"}'], ["comment"]]);
  });
});
