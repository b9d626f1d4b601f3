import { describe, expect, it } from "vitest";
import { fitOne, splitText } from "../../adapters/discord/split-text.js";

describe("Discord text splitting", () => {
  it("keeps short text whole and never sends an empty list", () => {
    expect(splitText("hello")).toEqual(["hello"]);
    expect(splitText("")).toEqual([""]);
  });

  it("cuts a long word-free run at exactly the limit", () => {
    const pieces = splitText("x".repeat(4500));
    expect(pieces.map((p) => p.length)).toEqual([2000, 2000, 500]);
  });

  it("does not cut an emoji in half", () => {
    const text = `${"a".repeat(1999)}🎬${"b".repeat(10)}`;
    const pieces = splitText(text);
    expect(pieces[0]).toBe("a".repeat(1999));
    expect(pieces.join("")).toBe(text);
  });

  it("shortens a status line to one message", () => {
    expect(fitOne("y".repeat(2500))).toHaveLength(2000);
  });
});
