import { describe, expect, it } from "vitest";
import { StatusMessage } from "../../jobs/status-message.js";
import { RateLimitedError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { replyOf } from "./harness.js";

describe("the status message of an item", () => {
  it("is one message edited in place; texts set while an edit waits coalesce to the latest", async () => {
    const outbox = new RecordingOutbox();
    const status = new StatusMessage(outbox, replyOf(1, "group"), undefined, { privateMs: 1, groupMs: 150 }, silentLogger);
    await status.show("first");
    for (let i = 0; i < 20; i++) status.set(`step ${i}`);
    await status.flush();
    const entries = outbox.entries.filter((e) => e.type === "status");
    expect(entries).toHaveLength(1);
    const history = entries[0]?.type === "status" ? entries[0].history : [];
    expect(history).toEqual(["first", "step 19"]);
  });

  it("setting the text it already shows costs no edit", async () => {
    const outbox = new RecordingOutbox();
    const status = new StatusMessage(outbox, replyOf(2), undefined, { privateMs: 1, groupMs: 1 }, silentLogger);
    await status.show("same");
    await status.show("same");
    const entry = outbox.entries.find((e) => e.type === "status");
    expect(entry?.type === "status" && entry.history).toEqual(["same"]);
  });

  it("a failed edit does not fail the work, and the ref of a re-posted message is kept", async () => {
    const outbox = new RecordingOutbox();
    const refs: string[] = [];
    const status = new StatusMessage(outbox, replyOf(3), undefined, { privateMs: 1, groupMs: 1 }, silentLogger, (ref) => {
      refs.push(ref.messageId);
    });
    await status.show("one");
    outbox.failNext("upsertStatus");
    await status.show("two");
    await status.show("three");
    expect(refs).toHaveLength(1);
    expect(status.ref?.messageId).toBe(refs[0]);
    const entry = outbox.entries.find((e) => e.type === "status");
    expect(entry?.type === "status" && entry.text).toBe("three");
  });

  it("an edit the busy platform hands back is shown later, and texts set meanwhile replace it", async () => {
    const outbox = new RecordingOutbox();
    const status = new StatusMessage(outbox, replyOf(4), undefined, { privateMs: 1, groupMs: 1 }, silentLogger);
    await status.show("first");
    outbox.failNext("upsertStatus", new RateLimitedError("busy (test)", 30));
    await status.show("done");
    outbox.failNext("upsertStatus", new RateLimitedError("busy (test)", 200));
    status.set("10%");
    await new Promise((resolve) => setTimeout(resolve, 50));
    status.set("20%");
    status.set("30%");
    await status.flush();
    const entry = outbox.entries.find((e) => e.type === "status");
    // Nothing lost to the refusals, nothing shown twice, and "10%"/"20%" never cost an edit.
    expect(entry?.type === "status" && entry.history).toEqual(["first", "done", "30%"]);
  });

  it("droppable progress is given up when refused: the caller does not wait for a slot", async () => {
    const outbox = new RecordingOutbox();
    const status = new StatusMessage(outbox, replyOf(5), undefined, { privateMs: 1, groupMs: 1 }, silentLogger);
    await status.show("rendering 10%");
    outbox.failNext("upsertStatus", new RateLimitedError("busy (test)", 60_000));
    status.set("rendering 40%", { droppable: true });
    await status.flush();
    await status.show("done");
    const entry = outbox.entries.find((e) => e.type === "status");
    expect(entry?.type === "status" && entry.history).toEqual(["rendering 10%", "done"]);
  });
});
