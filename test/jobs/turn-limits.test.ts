import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import { envelopeOf, startHarness, statusesOf, userWithClip, until, type Harness } from "./harness.js";

/**
 * A turn that runs out of time (the hard limit, or no headers at all) while its edit may still land
 * goes to recovery and tells the user what the state shows; it is never reported as failed, nor sent
 * again. The limits are shrunk through the same settings production reads (TURN_TIMEOUT_MS,
 * REQUEST_TIMEOUT_MS); the silence watchdog is in turn.test.ts.
 */

const en = messages("en");

describe("a turn past its time limits", () => {
  let h: Harness;
  let user = 900;
  let clip: string;
  beforeAll(async () => {
    // The silence watchdog is kept out of the way, so only the limit under test can end the turn: headers
    // are waited for 2 s (REQUEST_TIMEOUT_MS), a whole turn may take 4 s (TURN_TIMEOUT_MS).
    h = await startHarness({ config: { TURN_TIMEOUT_MS: "4000", REQUEST_TIMEOUT_MS: "2000", SILENT_TIMEOUT_MS: "600000" } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "turn-limits-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });

  const freshUser = () => userWithClip(h, ++user, clip);
  const statusOf = (chatId: string) => statusesOf(h, chatId);

  it("the 15-minute hard limit (shrunk): recovery reports the applied edit, the message is sent once", async () => {
    const u = await freshUser();
    // Tool events, then heartbeats only: with the silence watchdog far off, only the hard limit ends it.
    h.emulator.faults.add({ kind: "busy-after-edit", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "Hard Limit"' }));
    const answer = await h.outbox.waitFor(/went through/, { chatId: u.chatId, type: "text", timeoutMs: 15_000 });
    expect(answer.type === "text" && answer.text).toContain(en.changeTitleAdded({ text: "Hard Limit" }));
    expect(statusOf(u.chatId).at(-1)?.history).toContain(en.recoveryCheckingAfterTimeout);
    await until(() => statusOf(u.chatId).at(-1)?.text === en.turnDone, 5_000, "status done");
    expect(h.outbox.texts(u.chatId)).not.toContain(en.errTurnTimeout);
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "Hard Limit"')).toBe(1);
  });

  it("no headers before the request timeout: recovery reports the applied edit, the message is sent once", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "hang-after-edit", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "No Headers"' }));
    const answer = await h.outbox.waitFor(/went through/, { chatId: u.chatId, type: "text", timeoutMs: 15_000 });
    expect(answer.type === "text" && answer.text).toContain(en.changeTitleAdded({ text: "No Headers" }));
    expect(statusOf(u.chatId).at(-1)?.history).toContain(en.recoveryCheckingAfterTimeout);
    expect(h.outbox.texts(u.chatId)).not.toContain(en.errServiceDown);
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "No Headers"')).toBe(1);
  });
});
