import { describe, expect, it } from "vitest";
import { TurnText } from "../../src/nemo/turn-text.js";

describe("putting a turn's text together", () => {
  it("shows partial chunks as a preview and replaces them with the final text, never doubling it", () => {
    const text = new TurnText();
    text.add({ type: "text", text: "Trimming ", partial: true });
    text.add({ type: "heartbeat" });
    text.add({ type: "text", text: "to 30s…", partial: true });
    expect(text.preview()).toBe("Trimming to 30s…");
    text.add({ type: "text", text: "Trimming to 30s…", partial: false });
    text.add({ type: "tool-call", name: "edit_multitrack" });
    text.add({ type: "text", text: "Done.", partial: false });
    expect(text.messages()).toEqual(["Trimming to 30s…", "Done."]);
  });

  it("keeps the chunks of a reply that never arrived whole", () => {
    const text = new TurnText();
    text.add({ type: "text", text: "Half a ", partial: true });
    text.add({ type: "text", text: "reply", partial: true });
    expect(text.messages()).toEqual(["Half a reply"]);
  });
});
