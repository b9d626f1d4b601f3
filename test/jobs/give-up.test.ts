import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import type { OutboxEntry } from "../helpers/recording-outbox.js";
import { envelopeOf, startHarness, until, type Harness } from "./harness.js";

/**
 * An item the worker gives up on (its retries used up by unexpected failures: here the chat refusing
 * every answer) still ends its status message in a final state, "Stopped", and the user hears that
 * something went wrong: the status is never left mid-sentence ("Thinking…", "Uploading…").
 * A harness of its own: `failNext` fails the next calls whoever makes them.
 */

const en = messages("en");
/** Item tries before a worker gives up (jobs/workers.ts). */
const ITEM_TRIES = 3;

describe("an item given up on ends its status in a final state", () => {
  let h: Harness;
  let user = 1500;
  let clip: string;
  beforeAll(async () => {
    h = await startHarness();
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "give-up-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });

  const statuses = (chatId: string) =>
    h.outbox.entries.filter((e): e is Extract<OutboxEntry, { type: "status" }> => e.type === "status" && e.to.chatId === chatId);
  const attachment = (id: string) => ({
    id,
    name: "clip.mp4",
    size: undefined,
    mimeType: "video/mp4",
    kind: "video" as const,
    source: { type: "local-path" as const, path: clip },
  });

  it("a turn whose answers fail every try: 'Stopped', and the user is told", async () => {
    user += 1;
    const chatId = String(user);
    await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [attachment(`clip-${user}`)] }));
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId, type: "text", timeoutMs: 15_000 });
    for (let i = 0; i < ITEM_TRIES; i++) h.outbox.failNext("sendText");
    await h.queue.submit(envelopeOf(user, { kind: "turn", text: 'add the title "Never Told"' }));
    await h.outbox.waitFor(en.unknownError, { chatId, type: "text", timeoutMs: 20_000 });
    const turnStatus = statuses(chatId).at(-1);
    await until(() => turnStatus?.text === en.turnStopped, 10_000, "the turn's status stopped");
    expect(turnStatus?.history.find((t) => !t.startsWith("⏳ Queued"))).toBe(en.thinking);
  });

  it("an upload whose answers fail every try: 'Stopped', and the user is told", async () => {
    user += 1;
    const chatId = String(user);
    for (let i = 0; i < ITEM_TRIES; i++) h.outbox.failNext("sendText");
    await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [attachment(`clip-${user}`)] }));
    await h.outbox.waitFor(en.unknownError, { chatId, type: "text", timeoutMs: 20_000 });
    const uploadStatus = statuses(chatId).at(-1);
    await until(() => uploadStatus?.text === en.turnStopped, 10_000, "the upload's status stopped");
    expect(uploadStatus?.history.some((t) => t.startsWith("📤"))).toBe(true);
  });
});
