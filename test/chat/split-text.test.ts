import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_LENGTH } from "../../adapters/discord/limits.js";
import { CAPTION_LIMIT } from "../../adapters/telegram/limits.js";
import { fitOne, splitText } from "../../src/chat/split-text.js";

describe("text splitting, one copy for every platform", () => {
  it("keeps short text whole and never sends an empty list", () => {
    expect(splitText("hello", MAX_MESSAGE_LENGTH)).toEqual(["hello"]);
    expect(splitText("", MAX_MESSAGE_LENGTH)).toEqual([""]);
  });

  it("cuts a long word-free run at exactly the limit", () => {
    const pieces = splitText("x".repeat(4500), MAX_MESSAGE_LENGTH);
    expect(pieces.map((p) => p.length)).toEqual([2000, 2000, 500]);
  });

  it("does not cut an emoji in half", () => {
    const text = `${"a".repeat(1999)}🎬${"b".repeat(10)}`;
    const pieces = splitText(text, MAX_MESSAGE_LENGTH);
    expect(pieces[0]).toBe("a".repeat(1999));
    expect(pieces.join("")).toBe(text);
  });

  it("shortens a status line to one message", () => {
    expect(fitOne("y".repeat(2500), MAX_MESSAGE_LENGTH)).toHaveLength(2000);
  });

  it("breaks at a paragraph, then a line, then a space, when that keeps half the chunk", () => {
    const paragraphs = `${"a".repeat(700)}\n\n${"b".repeat(200)} ${"c".repeat(300)}`;
    expect(splitText(paragraphs, CAPTION_LIMIT)).toEqual(["a".repeat(700), `${"b".repeat(200)} ${"c".repeat(300)}`]);
    const early = `${"a".repeat(100)}\n${"b".repeat(1000)}`;
    // A break in the first half would waste most of the chunk: a hard cut instead.
    expect(splitText(early, CAPTION_LIMIT)[0]).toHaveLength(CAPTION_LIMIT);
  });

  it("never cuts an emoji when shortening a status line", () => {
    const status = `${"a".repeat(1998)}🎬 more`;
    const fitted = fitOne(status, MAX_MESSAGE_LENGTH);
    expect(fitted.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(fitted).toBe(`${"a".repeat(1998)}…`);
  });
});
