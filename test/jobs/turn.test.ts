import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestClip } from "../helpers/media.js";
import { messages } from "../../src/i18n/index.js";
import { markerKey } from "../../jobs/keys.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { SentRef } from "../../src/chat/outbox.js";
import { envelopeOf, startHarness, statusesOf, until, userWithClip, type Harness } from "./harness.js";

const en = messages("en");

describe("a turn, as the user sees it", () => {
  let h: Harness;
  let user = 200;
  let clip: string;
  beforeAll(async () => {
    h = await startHarness({ config: { SILENT_TIMEOUT_MS: "400", STILL_WORKING_MS: "100" } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "turn-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });

  /** A fresh user with a clip in their project, their chat's earlier entries cleared. */
  async function freshUser(): Promise<{ id: number; chatId: string; sessionId: string }> {
    const u = await userWithClip(h, ++user, clip);
    h.outbox.entries.splice(0, h.outbox.entries.length, ...h.outbox.entries.filter((e) => e.to.chatId !== u.chatId));
    return u;
  }

  const statusOf = (chatId: string) => statusesOf(h, chatId);

  it("answers with the agent's words, shows tool calls as progress, and offers Export / Timeline / Credits", async () => {
    const u = await freshUser();
    // The tool takes a moment, as real edits do: its progress line has time to show even on a busy machine.
    h.emulator.faults.add({ kind: "slow-tool", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Summer Vibes"' }));
    const answer = await h.outbox.waitFor(/Summer Vibes/, { chatId: u.chatId, type: "text", timeoutMs: 20_000 });
    expect(answer.type === "text" && answer.buttons?.map((b) => b.intent)).toEqual(["export", "timeline", "credits"]);
    await until(() => statusOf(u.chatId)[0]?.text === en.turnDone, 5_000, "status done");
    const history = statusOf(u.chatId)[0]?.history ?? [];
    expect(history.find((t) => !t.startsWith("⏳ Queued"))).toBe(en.thinking);
    // A slow machine may add the "still working" line beneath the tool's progress line.
    expect(history.some((text) => text.split("\n")[0] === en.toolEditing)).toBe(true);
    // The turn's one status message was edited in place: thinking → progress → done.
    expect(history.length).toBeGreaterThan(2);
  });

  it("a turn that ends without text is answered with what changed", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "silent-turn", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Quiet Title"' }));
    // What changed comes under a picture of the timeline as it now stands.
    const answer = await h.outbox.waitFor(/What changed/, { chatId: u.chatId, type: "photo" });
    expect(answer.type === "photo" && answer.caption).toContain(en.changeTitleAdded({ text: "Quiet Title" }));
    expect(answer.type === "photo" && answer.bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(answer.type === "photo" && answer.buttons?.map((b) => b.intent)).toEqual(["export", "timeline", "credits"]);
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Quiet Title"')).toBe(1);
  });

  it("a turn of heartbeats only times out into recovery: after 'still working' updates, the state is told", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "heartbeat-only", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: "make it pop" }));
    await h.outbox.waitFor(en.recoveryUnconfirmed, { chatId: u.chatId, type: "text", timeoutMs: 8_000 });
    const history = statusOf(u.chatId)[0]?.history ?? [];
    expect(history.some((t) => t.includes(en.stillWorking({ minutes: 1 })))).toBe(true);
    expect(history).toContain(en.recoveryCheckingAfterTimeout);
    expect(h.outbox.texts(u.chatId)).not.toContain(en.errTurnTimeout);
    expect(h.emulator.counters.runSse(u.sessionId, "make it pop")).toBe(1);
  });

  it("the silence watchdog after an applied edit: recovery reports the change, the message is not sent again", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "busy-after-edit", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Quiet Worker"' }));
    const answer = await h.outbox.waitFor(/went through/, { chatId: u.chatId, type: "text", timeoutMs: 8_000 });
    expect(answer.type === "text" && answer.text).toContain(en.changeTitleAdded({ text: "Quiet Worker" }));
    expect(statusOf(u.chatId)[0]?.history).toContain(en.recoveryCheckingAfterTimeout);
    await until(() => statusOf(u.chatId)[0]?.text === en.turnDone, 5_000, "status done");
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Quiet Worker"')).toBe(1);
  });

  it("2001 for an anonymous user: a registration link", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "no-credits", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Broke"' }));
    const answer = await h.outbox.waitFor(/register/i, { chatId: u.chatId, type: "text" });
    expect(answer.type === "text" && answer.text).toMatch(/https?:\/\/\S+register/);
  });

  it("429 on the message: one retry after a pause, then the answer", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "rate-limit", route: "run-sse", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Patience"' }));
    await h.outbox.waitFor(/Patience/, { chatId: u.chatId, type: "text" });
    expect(statusOf(u.chatId)[0]?.history).toContain(en.turnBusyRetrying);
    // Two calls (the refused one and the retry); the agent got the message once.
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Patience"')).toBe(2);
    expect(h.emulator.session(u.sessionId)?.messages).toEqual(['add the title "Patience"']);
  });

  it("429 twice: the busy message, no third try", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "rate-limit", route: "run-sse", sessionId: u.sessionId, times: 2 });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Twice"' }));
    await h.outbox.waitFor(en.errRateLimited, { chatId: u.chatId, type: "text" });
    expect(h.emulator.faults.pending()).toHaveLength(0);
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Twice"')).toBe(2);
    expect(h.emulator.session(u.sessionId)?.messages).toEqual([]);
  });

  it("a 5xx answered after the edit was applied: never sent again, the user is told what changed", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "gateway-error-after-edit", sessionId: u.sessionId, status: 504 });
    const envelope = envelopeOf(u.id, { kind: "turn", text: 'add the title "Applied Once"' });
    await h.queue.submit(envelope);
    const answer = await h.outbox.waitFor(/went through/, { chatId: u.chatId, type: "text", timeoutMs: 8_000 });
    expect(answer.type === "text" && answer.text).toContain(en.changeTitleAdded({ text: "Applied Once" }));
    expect(statusOf(u.chatId)[0]?.history).toContain(en.recoveryCheckingAfterError);
    await until(() => statusOf(u.chatId)[0]?.text === en.turnDone, 5_000, "status done");
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Applied Once"')).toBe(1);
    expect(h.emulator.session(u.sessionId)?.messages).toEqual(['add the title "Applied Once"']);
    // Applied once: one segment of the text tracks holds the title.
    const tracks = (h.emulator.session(u.sessionId)?.draft.t ?? []) as { tt?: number; sg?: unknown[] }[];
    const holding = tracks.filter((t) => t.tt === 7).flatMap((t) => t.sg ?? []).filter((sg) => JSON.stringify(sg).includes("Applied Once"));
    expect(holding).toHaveLength(1);
    expect(await h.redis.get(markerKey(h.prefix, "sent", envelope.id))).not.toBeNull();
  });

  it("a 5xx before the stream that applied nothing: still never re-sent; the user is told it could not be confirmed", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "server-error", route: "run-sse", sessionId: u.sessionId, status: 500 });
    const envelope = envelopeOf(u.id, { kind: "turn", text: 'add the title "Maybe"' });
    await h.queue.submit(envelope);
    await h.outbox.waitFor(en.recoveryUnconfirmed, { chatId: u.chatId, type: "text", timeoutMs: 8_000 });
    await until(() => statusOf(u.chatId)[0]?.text === en.turnStopped, 5_000, "status stopped");
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Maybe"')).toBe(1);
    expect(h.outbox.texts(u.chatId)).not.toContain(en.errServiceDown);
    expect(await h.redis.get(markerKey(h.prefix, "sent", envelope.id))).not.toBeNull();
  });

  it("an answer that proves the message was refused (2001) clears the sent marker", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "no-credits", sessionId: u.sessionId });
    const envelope = envelopeOf(u.id, { kind: "turn", text: 'add the title "Refused"' });
    await h.queue.submit(envelope);
    await h.outbox.waitFor(/register/i, { chatId: u.chatId, type: "text" });
    expect(await h.redis.get(markerKey(h.prefix, "sent", envelope.id))).toBeNull();
  });

  it("a stream that drops mid-turn is never sent again: the state tells what happened", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "drop-stream", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Dropped"' }));
    const answer = await h.outbox.waitFor(/went through/, { chatId: u.chatId, type: "text", timeoutMs: 8_000 });
    expect(answer.type === "text" && answer.text).toContain(en.changeTitleAdded({ text: "Dropped" }));
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Dropped"')).toBe(1);
    expect(statusOf(u.chatId)[0]?.history).toContain(en.recoveryChecking);
  });

  it("an error in the stream before any tool ran is a failed turn, in words", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "stream-error", sessionId: u.sessionId });
    // A chat message: no tool call comes before the error.
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: "hello there" }));
    await h.outbox.waitFor(en.errTurnFailed, { chatId: u.chatId, type: "text" });
    await until(() => statusOf(u.chatId)[0]?.text === en.turnStopped, 5_000, "status stopped");
  });

  it("an error after a tool call that changed nothing: said from the state, never 'try again another way'", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "stream-error", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Oops"' }));
    await h.outbox.waitFor(en.turnFailedUnchanged, { chatId: u.chatId, type: "text" });
    await until(() => statusOf(u.chatId)[0]?.text === en.turnStopped, 5_000, "status stopped");
    expect(h.outbox.entries.some((e) => e.to.chatId === u.chatId && e.type === "text" && e.text === en.errTurnFailed)).toBe(false);
  });

  it("an error after the edit was applied: the user is told what changed, not to send it again", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "error-after-edit", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Applied Anyway"' }));
    const answer = await h.outbox.waitFor(/stopped with an error, but this changed/, { chatId: u.chatId, type: "photo" });
    expect(answer.type === "photo" && answer.caption).toContain(en.changeTitleAdded({ text: "Applied Anyway" }));
    const said = h.outbox.entries.filter((e) => e.to.chatId === u.chatId && e.type === "text").map((e) => (e.type === "text" ? e.text : ""));
    expect(said).not.toContain(en.errTurnFailed);
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Applied Anyway"')).toBe(1);
  });

  it("a reply cut short by the model (MAX_TOKENS) is shown, said to be cut, with what changed", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "cut-short", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Long Story"' }));
    const cut = await h.outbox.waitFor(/cut short/, { chatId: u.chatId, type: "photo" });
    expect(cut.type === "photo" && cut.caption).toContain(en.cutShortLength);
    expect(cut.type === "photo" && cut.caption).toContain(en.changeTitleAdded({ text: "Long Story" }));
    // The words that came are shown, before the note that they were cut.
    const words = h.outbox.entries.find((e) => e.to.chatId === u.chatId && e.type === "text");
    expect(words?.type === "text" && words.text.length).toBeGreaterThan(0);
    expect(words?.type === "text" && words.text).not.toBe(en.errTurnFailed);
    await until(() => statusOf(u.chatId)[0]?.text === en.turnDone, 5_000, "status done");
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Long Story"')).toBe(1);
  });

  it("speaks the user's language", async () => {
    const u = await freshUser();
    const envelope = { ...envelopeOf(u.id, { kind: "turn", text: "加上字幕" }), locale: "zh-CN" as const };
    await h.queue.submit(envelope);
    await until(() => statusOf(u.chatId)[0]?.text === messages("zh-CN").turnDone, 5_000, "zh status done");
    expect(statusOf(u.chatId)[0]?.history.find((t) => !t.startsWith("⏳"))).toBe(messages("zh-CN").thinking);
  });
});

describe("a turn's stream does not wait for its status message", () => {
  it("the message reaches the agent while 'Thinking…' still waits for a send slot", async () => {
    let release = (): void => undefined;
    const slot = new Promise<void>((resolve) => {
      release = resolve;
    });
    /** A busy bot: a new status message waits for its send slot until the test frees it. */
    class BusyOutbox extends RecordingOutbox {
      override async upsertStatus(to: ReplyHandle, ref: SentRef | undefined, text: string): Promise<SentRef> {
        if (!ref) await slot;
        return super.upsertStatus(to, ref, text);
      }
    }
    const h = await startHarness({ outbox: new BusyOutbox() });
    try {
      await h.queue.submit(envelopeOf(9_001, { kind: "turn", text: 'add the title "Early Bird"' }));
      await until(() => h.emulator.counters.runSseTotal() > 0, 10_000, "the message at the backend's stream");
      expect(h.outbox.entries.filter((e) => e.type === "status")).toHaveLength(0);
      release();
      await h.outbox.waitFor(/./, { chatId: "9001", type: "text" });
      await until(() => h.outbox.entries.some((e) => e.type === "status" && e.to.chatId === "9001" && e.text === en.turnDone), 10_000, "the status done");
    } finally {
      release();
      await h.close();
    }
  });
});
