import { describe, expect, it } from "vitest";
import { parseAdkFrame } from "../../src/nemo/adk-event.js";

const events = (data: string) => parseAdkFrame(data).events;

describe("ADK event frames → TurnEvents", () => {
  it("reads a camelCase text event with its author and streaming flag", () => {
    const frame = JSON.stringify({
      content: { parts: [{ text: "Got it, trimming to 30 seconds…" }], role: "model" },
      invocationId: "e-1",
      author: "nemo_agent",
      partial: true,
      actions: { stateDelta: {}, artifactDelta: {} },
      id: "x",
      timestamp: 1743712255.31,
    });
    expect(events(frame)).toEqual([{ type: "text", text: "Got it, trimming to 30 seconds…", partial: true, author: "nemo_agent" }]);
  });

  it("reads the final, non-partial text", () => {
    expect(events(JSON.stringify({ content: { parts: [{ text: "Done." }] } }))).toEqual([{ type: "text", text: "Done.", partial: false }]);
  });

  it("never shows thought parts", () => {
    const frame = JSON.stringify({ content: { parts: [{ text: "secret plan", thought: true }, { text: "Visible" }] } });
    expect(events(frame)).toEqual([{ type: "text", text: "Visible", partial: false }]);
  });

  it("reads tool calls and results in both spellings", () => {
    const camel = JSON.stringify({
      content: { parts: [{ functionCall: { id: "adk-1", name: "edit_multitrack", args: { a: 1 } } }] },
    });
    const snake = JSON.stringify({
      content: { parts: [{ function_response: { id: "adk-1", name: "edit_multitrack", response: {} } }] },
      invocation_id: "e-2",
    });
    expect(events(camel)).toEqual([{ type: "tool-call", name: "edit_multitrack", id: "adk-1" }]);
    expect(events(snake)).toEqual([{ type: "tool-result", name: "edit_multitrack", id: "adk-1" }]);
  });

  it("reads errors: errorCode/errorMessage, error_code/error_message, and a top-level error", () => {
    expect(events(JSON.stringify({ errorCode: "MALFORMED", errorMessage: "bad call" }))).toEqual([
      { type: "error", code: "MALFORMED", message: "bad call" },
    ]);
    expect(events(JSON.stringify({ error_code: "X", error_message: "snake" }))).toEqual([{ type: "error", code: "X", message: "snake" }]);
    expect(events(JSON.stringify({ error: "Session not found" }))).toEqual([{ type: "error", message: "Session not found" }]);
  });

  it("reads a finish reason in errorCode as a reply cut short, keeping the whole text before it", () => {
    // What ADK emits when the model stops for MAX_TOKENS, SAFETY, …: the final event, text and all.
    const frame = JSON.stringify({ content: { parts: [{ text: "I trimmed the clip and added the ti" }], role: "model" }, partial: false, errorCode: "MAX_TOKENS" });
    expect(events(frame)).toEqual([
      { type: "text", text: "I trimmed the clip and added the ti", partial: false },
      { type: "cut-short", reason: "MAX_TOKENS" },
    ]);
    expect(events(JSON.stringify({ error_code: "safety", error_message: "blocked" }))).toEqual([{ type: "cut-short", reason: "SAFETY", message: "blocked" }]);
    // Anything else in errorCode is still a failed turn.
    expect(events(JSON.stringify({ errorCode: "MODEL_ERROR", errorMessage: "down" }))).toEqual([{ type: "error", code: "MODEL_ERROR", message: "down" }]);
  });

  it("keeps text that came before an error in the same event", () => {
    const frame = JSON.stringify({ content: { parts: [{ text: "partly done" }] }, errorMessage: "then failed" });
    expect(events(frame).map((e) => e.type)).toEqual(["text", "error"]);
  });

  it("treats empty data and heartbeat objects as heartbeats, not as the agent speaking", () => {
    for (const data of ["", "  ", '{"type":"heartbeat"}', '{"heartbeat":1712}', '{"type":"ping"}', "{}"]) {
      expect(parseAdkFrame(data)).toEqual({ events: [{ type: "heartbeat" }], meaningful: false });
    }
  });

  it("reports invalid JSON as invalid, never throwing, and clips huge frames", () => {
    expect(events('{"error": "unescaped "quote" from old ADK"}')).toEqual([
      { type: "invalid", raw: '{"error": "unescaped "quote" from old ADK"}' },
    ]);
    expect(events("[1,2]")[0]?.type).toBe("invalid");
    const huge = events("x".repeat(100_000))[0];
    expect(huge?.type === "invalid" && huge.raw.length).toBeLessThan(3_000);
  });

  it("counts an event with only a state delta as the agent working, with nothing to show", () => {
    expect(parseAdkFrame(JSON.stringify({ actions: { stateDelta: { a: 1 } }, author: "nemo_agent" }))).toEqual({
      events: [],
      meaningful: true,
    });
  });
});
