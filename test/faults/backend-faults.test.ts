import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { clipAttachment } from "../fixtures/fault-chat.js";
import { startFaultApp, type FaultApp } from "../fixtures/fault-app.js";
import type { OutboxEntry } from "../helpers/recording-outbox.js";
import { testRedisEnv } from "../helpers/redis.js";

/**
 * Backend faults from the emulator, through the real router, queue and workers: each ends in a
 * correct recovery or the words the user should see, and no message reaches /run_sse twice.
 * (Single faults of a turn are in test/jobs/turn.test.ts; these are bursts and the paths around them.)
 */

const en = messages("en");
let f: FaultApp;
beforeAll(async () => {
  f = await startFaultApp({ redis: testRedisEnv() });
});
afterAll(async () => {
  await f.close();
});

const videos = (user: string) => f.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === user);
const statusHistory = (user: string) =>
  f.outbox.entries.filter((e): e is Extract<OutboxEntry, { type: "status" }> => e.type === "status" && e.to.chatId === user).flatMap((e) => e.history);
/** Calls of /run_sse with this text, answered or refused (the emulator counts each). */
const calls = (sessionId: string, text: string) => f.emulator.counters.runSse(sessionId, text);
/** Times the text got past the backend's checks to the agent (what "sent twice" would mean). */
const reached = (sessionId: string, text: string) => f.emulator.session(sessionId)?.messages.filter((m) => m === text).length ?? 0;
const rendersOf = async (sessionId: string) => {
  await f.app.whenIdle({ pollMs: 50, settleChecks: 3 });
  return f.emulator.session(sessionId) === undefined ? -1 : f.emulator.counters.rendersStarted().length;
};

describe("bursts of 5xx", () => {
  it("on /run_sse: the message is not sent again; the state is read and the user told it could not be confirmed", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "server-error", route: "run-sse", sessionId, status: 502, times: 3 });
    await f.chat.say(user, 'add the title "Gateway"');
    // A 502 may hide an applied edit: never re-sent, answered from the state (which shows nothing new).
    await f.outbox.waitFor(en.recoveryUnconfirmed, { chatId: user, type: "text", timeoutMs: 15_000 });
    await f.app.whenIdle({ pollMs: 50 });
    expect(calls(sessionId, 'add the title "Gateway"')).toBe(1);
    expect(reached(sessionId, 'add the title "Gateway"')).toBe(0);
    // The user says it again when the service is back: it goes through, once more and only once.
    f.emulator.faults.clear();
    await f.chat.say(user, 'add the title "Gateway"');
    await f.outbox.waitFor(/Gateway/, { chatId: user, type: "text", timeoutMs: 15_000 });
    expect(reached(sessionId, 'add the title "Gateway"')).toBe(1);
  });

  it("while a render is polled: waited out, one render, the video delivered", async () => {
    const { user, sessionId } = await f.userWithClip();
    const before = f.emulator.counters.rendersStarted().length;
    f.emulator.faults.add({ kind: "server-error", route: "render-status", sessionId, status: 503, times: 4 });
    await f.chat.say(user, "export");
    await f.outbox.waitFor(en.exportCaption, { chatId: user, type: "video", timeoutMs: 20_000 });
    expect(f.emulator.faults.pending()).toHaveLength(0);
    expect((await rendersOf(sessionId)) - before).toBe(1);
    expect(videos(user)).toHaveLength(1);
  });

  it("on an upload: the file is reported as not added, in words, and sending it again works", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "server-error", route: "upload", sessionId, status: 500, times: 2 });
    await f.chat.say(user, "", { attachments: [clipAttachment(f.clip, `again-${user}`, "second.mp4")] });
    await f.outbox.waitFor(en.errServiceDown, { chatId: user, type: "text", timeoutMs: 15_000 });
    const uploads = () => f.emulator.session(sessionId)?.uploads.length ?? 0;
    expect(uploads()).toBe(1);
    f.emulator.faults.clear();
    await f.chat.say(user, "", { attachments: [clipAttachment(f.clip, `third-${user}`, "second.mp4")] });
    await f.outbox.waitFor(en.uploadDone({ names: ["second.mp4"] }), { chatId: user, type: "text", timeoutMs: 15_000 });
    expect(uploads()).toBe(2);
  });
});

describe("429", () => {
  it("once on credits: retried by itself and answered", async () => {
    const user = f.newUser();
    f.emulator.faults.add({ kind: "rate-limit", route: "credits" });
    await f.chat.say(user, "credits");
    await f.outbox.waitFor(/Credits: \d+ available/, { chatId: user, type: "text" });
  });

  it("a burst on credits: the busy message", async () => {
    const user = f.newUser();
    f.emulator.faults.add({ kind: "rate-limit", route: "credits", times: 2 });
    await f.chat.say(user, "credits");
    await f.outbox.waitFor(en.errRateLimited, { chatId: user, type: "text" });
  });

  it("a burst on /run_sse: one retry after the pause, then the busy message; the message never reached the agent twice", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "rate-limit", route: "run-sse", sessionId, times: 4 });
    await f.chat.say(user, 'add the title "Busy"');
    await f.outbox.waitFor(en.errRateLimited, { chatId: user, type: "text", timeoutMs: 15_000 });
    await f.app.whenIdle({ pollMs: 50 });
    // The first call and the contract's one retry after a pause; none got through to the agent.
    expect(calls(sessionId, 'add the title "Busy"')).toBe(2);
    expect(reached(sessionId, 'add the title "Busy"')).toBe(0);
    expect(statusHistory(user)).toContain(en.turnBusyRetrying);
  });
});

describe("1001 and 1002", () => {
  it("1001 (token expired) on the turn: renewed with the same client id, the turn answered once", async () => {
    const { user, sessionId } = await f.userWithClip();
    const tokens = f.emulator.counters.anonymousTokensIssued();
    f.emulator.faults.add({ kind: "token-expired", route: "run-sse", sessionId });
    await f.chat.say(user, 'add the title "Renewed"');
    await f.outbox.waitFor(/Renewed/, { chatId: user, type: "text", timeoutMs: 15_000 });
    expect(reached(sessionId, 'add the title "Renewed"')).toBe(1);
    // Renewal re-asks with the same client id: the emulator's user (and credits) stay the same.
    expect(f.emulator.counters.anonymousTokensIssued()).toBe(tokens);
  });

  it("1001 as the first frame of an opened stream: not taken, so renewed and sent again, the turn answered once", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "token-expired-in-stream", sessionId });
    await f.chat.say(user, 'add the title "Renewed Midway"');
    await f.outbox.waitFor(/Renewed Midway/, { chatId: user, type: "text", timeoutMs: 15_000 });
    // The refused stream and the one after the renewal; only the second reached the agent.
    expect(calls(sessionId, 'add the title "Renewed Midway"')).toBe(2);
    expect(reached(sessionId, 'add the title "Renewed Midway"')).toBe(1);
  });

  it("1002 (session gone) on an export: a new session is started, the user told why their project is empty, not shown an error code", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "session-lost", route: "state", sessionId, times: 5 });
    await f.chat.say(user, "export");
    // The new project is empty: nothing to export, said in words (not an error code), after why.
    await f.outbox.waitFor(en.exportNotReady, { chatId: user, type: "text", timeoutMs: 15_000 });
    const said = f.said(user);
    expect(said.indexOf(en.sessionReplaced)).toBeGreaterThanOrEqual(0);
    expect(said.indexOf(en.sessionReplaced)).toBeLessThan(said.lastIndexOf(en.exportNotReady));
    expect(await f.sessionIdOf(user)).not.toBe(sessionId);
    expect(videos(user)).toHaveLength(0);
  });
});

describe("broken streams", () => {
  it("a 504 after the edit was applied: the state is read instead of re-sending, and the change is reported", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "gateway-error-after-edit", sessionId, status: 504 });
    await f.chat.say(user, 'add the title "Behind The Gateway"');
    await f.outbox.waitFor(/went through/, { chatId: user, type: "text", timeoutMs: 15_000 });
    await f.app.whenIdle({ pollMs: 50 });
    expect(calls(sessionId, 'add the title "Behind The Gateway"')).toBe(1);
    expect(reached(sessionId, 'add the title "Behind The Gateway"')).toBe(1);
  });

  it("a dropped stream: the state is read instead of re-sending, and the change is reported", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "drop-stream", sessionId });
    await f.chat.say(user, 'add the title "Dropped"');
    await f.outbox.waitFor(/went through/, { chatId: user, type: "text", timeoutMs: 15_000 });
    expect(calls(sessionId, 'add the title "Dropped"')).toBe(1);
  });

  it("invalid frames in the stream: the turn still ends in words, with no raw frame shown", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "invalid-frames", sessionId });
    await f.chat.say(user, 'add the title "Frames"');
    await f.outbox.waitFor(en.turnDone, { chatId: user, type: "status", timeoutMs: 15_000 });
    const said = f.said(user).join("\n");
    expect(said).toMatch(/Frames/);
    expect(said).not.toMatch(/"content"|"parts"|data:/);
    expect(calls(sessionId, 'add the title "Frames"')).toBe(1);
  });

  it("an error in the stream after the tool call: the state is told, said once, not retried", async () => {
    const { user, sessionId } = await f.userWithClip();
    f.emulator.faults.add({ kind: "stream-error", sessionId });
    await f.chat.say(user, 'add the title "Oops"');
    await f.outbox.waitFor(en.turnFailedUnchanged, { chatId: user, type: "text", timeoutMs: 15_000 });
    await f.app.whenIdle({ pollMs: 50 });
    expect(calls(sessionId, 'add the title "Oops"')).toBe(1);
    expect(f.said(user).filter((t) => t === en.turnFailedUnchanged)).toHaveLength(1);
    expect(f.said(user)).not.toContain(en.errTurnFailed);
  });
});

describe("render failures", () => {
  it("one failure: retried once under a new id, the video delivered", async () => {
    const { user, sessionId } = await f.userWithClip();
    const before = f.emulator.counters.rendersStarted().length;
    f.emulator.faults.add({ kind: "render-fails", sessionId });
    await f.chat.say(user, "export");
    await f.outbox.waitFor(en.exportCaption, { chatId: user, type: "video", timeoutMs: 20_000 });
    expect(statusHistory(user)).toContain(en.exportRetrying);
    expect((await rendersOf(sessionId)) - before).toBe(2);
  });

  it("two failures: the render-failed message, no third render", async () => {
    const { user, sessionId } = await f.userWithClip();
    const before = f.emulator.counters.rendersStarted().length;
    f.emulator.faults.add({ kind: "render-fails", sessionId, times: 2 });
    await f.chat.say(user, "export");
    await f.outbox.waitFor(en.errRenderFailed, { chatId: user, type: "text", timeoutMs: 20_000 });
    expect((await rendersOf(sessionId)) - before).toBe(2);
    expect(videos(user)).toHaveLength(0);
  });
});
