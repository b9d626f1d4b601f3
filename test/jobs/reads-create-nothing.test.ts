import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import { envelopeOf, sessionOf, startHarness, statusesOf, userWithClip, TINY_TIMING, until, type Harness } from "./harness.js";

/**
 * Reading is not creating: a turn's recovery and a render's polls read with the user's token and the
 * session they already have. A session that is gone (or forgotten by /new) is never replaced by a new
 * one behind the user's back; the emulator's counters show every session made.
 */

const en = messages("en");

describe("recovery reads and render polls create no session", () => {
  let h: Harness;
  let user = 1200;
  let clip: string;
  beforeAll(async () => {
    // Renders take seconds (slow-render: 10x), so the test can act while one is polled.
    h = await startHarness({ config: { REQUEST_TIMEOUT_MS: "2500" }, emulator: { timing: { ...TINY_TIMING, renderMs: 400 } } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "reads-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });

  const freshUser = () => userWithClip(h, ++user, clip);
  const statuses = (chatId: string) => statusesOf(h, chatId);

  it("a recovery whose session is gone: no new session, and the user is told the project is gone", async () => {
    const u = await freshUser();
    const text = 'add the title "Lost Project"';
    h.emulator.faults.add({ kind: "hang-after-edit", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text }));
    // The message reached the backend, which holds it unanswered; meanwhile the project disappears.
    await until(() => h.emulator.counters.runSse(u.sessionId, text) === 1, 10_000, "the message at the backend");
    h.emulator.dropSession(u.sessionId);
    const created = h.emulator.counters.sessionsCreated();
    await h.outbox.waitFor(en.errSessionLost, { chatId: u.chatId, type: "text", timeoutMs: 15_000 });
    await until(() => statuses(u.chatId).at(-1)?.text === en.turnStopped, 5_000, "status stopped");
    expect(h.emulator.counters.sessionsCreated()).toBe(created);
    expect(h.emulator.counters.runSse(u.sessionId, text)).toBe(1);
    expect(h.outbox.texts(u.chatId).some((t) => t.includes("went through"))).toBe(false);
  });

  it("a render polled after /new forgot the chat's session: polled with the render's session, the video delivered, no session made", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "slow-render", sessionId: u.sessionId });
    await h.queue.submit(envelopeOf(u.id, { kind: "export" }));
    await until(() => statuses(u.chatId).some((s) => /[▓░]{10}/.test(s.text)), 15_000, "render running");
    const created = h.emulator.counters.sessionsCreated();
    await h.accounts.resetSession(sessionOf(u.id));
    await h.outbox.waitFor(en.exportCaption, { chatId: u.chatId, type: "video", timeoutMs: 30_000 });
    expect(h.emulator.counters.sessionsCreated()).toBe(created);
  });

  it("a render start answered 1002: the user is told the project is gone, and no session is made", async () => {
    const u = await freshUser();
    h.emulator.faults.add({ kind: "session-lost", route: "render-start", sessionId: u.sessionId });
    const created = h.emulator.counters.sessionsCreated();
    await h.queue.submit(envelopeOf(u.id, { kind: "export" }));
    await h.outbox.waitFor(en.errSessionLost, { chatId: u.chatId, type: "text", timeoutMs: 15_000 });
    expect(h.emulator.counters.sessionsCreated()).toBe(created);
    expect(h.outbox.entries.some((e) => e.type === "video" && e.to.chatId === u.chatId)).toBe(false);
  });
});
