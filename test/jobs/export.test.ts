import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryFile } from "../../jobs/export-files.js";
import { progressBar } from "../../jobs/export.js";
import { draftFingerprint } from "../../jobs/fingerprint.js";
import { renderJobId, sessionDraftRendersKey, sessionKeyOf, sessionRendersKey } from "../../jobs/keys.js";
import { Markers } from "../../jobs/markers.js";
import { ChatError } from "../../src/errors.js";
import { messages } from "../../src/i18n/index.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import type { OutboxEntry } from "../helpers/recording-outbox.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

const en = messages("en");

type Status = Extract<OutboxEntry, { type: "status" }>;

/** Uploads a clip for `user` and waits until it is in the project. */
async function withClip(h: Harness, user: number, clip: string): Promise<string> {
  const chatId = String(user);
  const attachment = { id: `clip-${user}`, name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
  await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] }));
  await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId, type: "text", timeoutMs: 15_000 });
  return h.sessionIdOf(sessionOf(user));
}

describe("export: render, poll as delayed steps, deliver once", () => {
  let h: Harness;
  let clip: string;
  let user = 300;
  beforeAll(async () => {
    h = await startHarness();
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "export-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });

  const next = () => (user += 1);
  const videosOf = (chatId: string) => h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === chatId);
  const statusesOf = (chatId: string) => h.outbox.entries.filter((e): e is Status => e.type === "status" && e.to.chatId === chatId);

  it("delivers the MP4 once, with a progress bar in the status meanwhile", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    // A render of 600 ms, not 60: long enough for polls 30 ms apart to see it under way, whatever
    // the machine's timing (at 60 ms the first reading could already be the finished render).
    h.emulator.faults.add({ kind: "slow-render", sessionId });
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    const video = await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    expect(video.type === "video" && looksLikeMp4(video.bytes)).toBe(true);
    await until(() => h.done.exports >= 1, 5_000, "export done");
    const exportStatus = statusesOf(String(u)).find((s) => s.history.includes(en.exportPreparing));
    expect(exportStatus?.history.some((t) => /[▓░]{10} \d+%/.test(t))).toBe(true);
    // The last edit follows the video without holding the worker: it lands within its pacing gap.
    await until(() => statusesOf(String(u)).find((s) => s.history.includes(en.exportPreparing))?.text === en.exportDone, 5_000, "the status reads done");
    expect(videosOf(String(u))).toHaveLength(1);
  });

  it("the render starts while the chat platform still holds the export's first message back", async () => {
    const u = next();
    await withClip(h, u, clip);
    // A busy bot: Telegram's queue would hold a new message for a minute. The render must not wait for it.
    const release = h.outbox.holdNewStatusesIn(String(u));
    const envelope = envelopeOf(u, { kind: "export" });
    try {
      await h.queue.submit(envelope);
      await until(() => h.emulator.counters.rendersStarted().some((id) => id.includes(envelope.id)), 10_000, "the render started");
    } finally {
      release();
    }
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    expect(videosOf(String(u))).toHaveLength(1);
  });

  it("a chat whose first word from the bot was its video gets no 'ready' message after it", async () => {
    const u = next();
    await withClip(h, u, clip);
    // A busy bot: every new status message gives way, so the video is the chat's first message.
    const release = h.outbox.refuseNewStatusesIn(String(u));
    const doneBefore = h.done.exports;
    const statusesBefore = statusesOf(String(u)).length;
    try {
      await h.queue.submit(envelopeOf(u, { kind: "export" }));
      await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    } finally {
      release();
    }
    await until(() => h.done.exports > doneBefore, 10_000, "the render job's end");
    // A last word arriving now would read as the answer to whatever the user says next.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(videosOf(String(u))).toHaveLength(1);
    expect(statusesOf(String(u)).slice(statusesBefore).map((s) => s.history)).toEqual([]);
    expect(h.outbox.texts(String(u)).filter((t) => t === en.exportDone)).toEqual([]);
  });

  it("nothing to export yet: says so", async () => {
    const u = next();
    const envelope = envelopeOf(u, { kind: "export" });
    await h.queue.submit(envelope);
    await h.outbox.waitFor(en.exportNotReady, { chatId: String(u), type: "text" });
    expect(h.emulator.counters.rendersStarted().filter((id) => id.includes(envelope.id))).toEqual([]);
  });

  it("402 (free plan): register or upgrade, not 'out of credits'", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    h.emulator.faults.add({ kind: "export-blocked", sessionId });
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.outbox.waitFor(en.errPlanBlocked, { chatId: String(u), type: "text" });
  });

  it("a failed render is retried once with a new id, then delivered", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    h.emulator.faults.add({ kind: "render-fails", sessionId });
    const envelope = envelopeOf(u, { kind: "export" });
    await h.queue.submit(envelope);
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    const ids = h.emulator.counters.rendersStarted().filter((id) => id.includes(envelope.id));
    expect(ids).toEqual([`render_${envelope.id}_1`, `render_${envelope.id}_2`]);
    expect(statusesOf(String(u)).some((s) => s.history.includes(en.exportRetrying))).toBe(true);
  });

  it("too big for the chat: a link instead of the file", async () => {
    const u = next();
    await withClip(h, u, clip);
    h.outbox.maxVideo = 100;
    try {
      await h.queue.submit(envelopeOf(u, { kind: "export" }));
      const link = await h.outbox.waitFor(/too large to send here/, { chatId: String(u), type: "link", timeoutMs: 15_000 });
      expect(link.type === "link" && link.url).toMatch(/^http:\/\/127\.0\.0\.1/);
    } finally {
      h.outbox.maxVideo = 50 * 1024 * 1024;
    }
    expect(videosOf(String(u))).toHaveLength(0);
  });

  it("/cancel stops a running render and drops queued items", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    h.emulator.faults.add({ kind: "slow-render", sessionId });
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await until(() => statusesOf(String(u)).some((s) => /[▓░]{10}/.test(s.text)), 10_000, "render running");
    expect(await h.queue.cancel(sessionOf(u))).toBe("cancelled-running");
    await until(() => statusesOf(String(u)).some((s) => s.text === en.exportCancelled), 10_000, "cancelled status");
    expect(videosOf(String(u))).toHaveLength(0);
    expect(h.emulator.counters.requests("render-cancel")).toBeGreaterThan(0);
    expect(await h.queue.cancel(sessionOf(u))).toBe("nothing");
  });

  it("export, then keep editing: the next message runs while the render proceeds", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    h.emulator.faults.add({ kind: "slow-render", sessionId });
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.queue.submit(envelopeOf(u, { kind: "turn", text: 'add the title "Meanwhile"' }));
    await h.outbox.waitFor(/Meanwhile/, { chatId: String(u), type: "text", timeoutMs: 10_000 });
    // The answer came while the render was still going; the video follows.
    expect(videosOf(String(u))).toHaveLength(0);
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
  });

  it("a failed post of the video is retried, a failure right after the post does not post it again, and the video arrives once", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    h.outbox.failNext("sendVideo");
    const envelope = envelopeOf(u, { kind: "export" });
    const renderId = `render_${envelope.id}_1`;
    // The moment the chat has the video, the step's next piece of work fails: a directory where the
    // delivery's leftover `.part` file goes makes its removal throw. The job is retried from its
    // saved step (deliver), with the video already in the chat; the obstacle is gone by then (a
    // retry that fetched the render again would need the path).
    const blocker = `${deliveryFile(h.config.EXPORT_DIR, renderId)}.part`;
    let failedAfterPost = false;
    const stop = h.outbox.onEntry((entry) => {
      if (entry.type !== "video" || entry.to.chatId !== String(u)) return;
      mkdirSync(join(blocker, "in-the-way"), { recursive: true });
      failedAfterPost = true;
    });
    const renders = new Queue("render", { connection: h.redis, prefix: h.prefix });
    const attempts = async () => (await renders.getJob(renderJobId(envelope.id)))?.attemptsMade ?? 0;
    try {
      await h.queue.submit(envelope);
      await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
      // The step after the post really failed (the job counts a failed attempt).
      await until(async () => (await attempts()) >= 1, 15_000, "the failure after the post", 5);
      rmSync(blocker, { recursive: true, force: true });
      // Done, failed for good (its retries used up), or already wrong (a second video).
      const settled = async () =>
        statusesOf(String(u)).some((s) => s.text === en.exportDone) ||
        videosOf(String(u)).length > 1 ||
        ((await (await renders.getJob(renderJobId(envelope.id)))?.isFailed()) ?? false);
      await until(settled, 15_000, "the export to settle");
      expect(failedAfterPost).toBe(true);
      expect(videosOf(String(u))).toHaveLength(1);
      expect(statusesOf(String(u)).some((s) => s.text === en.exportDone)).toBe(true);

      // Once delivered, a copy of the render job resuming from before the post (a worker that lost
      // its lock mid-delivery while another took the job over) must not post the video again.
      const doneBefore = h.done.exports;
      await renders.add(
        "render",
        { envelope, sessionKey: sessionKeyOf(sessionOf(u)), sessionId, draft: {}, step: { phase: "deliver", attempt: 1, renderId, startedAt: Date.now(), output: { id: renderId } } },
        { jobId: `stale-copy-${envelope.id}` },
      );
      await until(() => h.done.exports > doneBefore, 10_000, "the stale copy finished");
    } finally {
      stop();
      rmSync(blocker, { recursive: true, force: true });
      await renders.close();
    }
    expect(videosOf(String(u))).toHaveLength(1);
  });

  it("a video the chat refuses as too large (Telegram's 413) goes as a link at once, not after retries", async () => {
    const u = next();
    await withClip(h, u, clip);
    // What the Telegram outbox throws when the Bot API answers "Request Entity Too Large".
    h.outbox.failNext("sendVideo", new ChatError("video_too_large", "Telegram refused the video as too large"));
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    const link = await h.outbox.waitFor(/too large to send here/, { chatId: String(u), type: "link", timeoutMs: 15_000 });
    expect(link.type === "link" && link.url).toMatch(/^http:\/\/127\.0\.0\.1/);
    await until(() => statusesOf(String(u)).some((s) => s.text === en.exportDoneLink), 5_000, "export done");
    expect(videosOf(String(u))).toHaveLength(0);
    expect(h.outbox.texts(String(u))).not.toContain(en.unknownError);
  });

  it("the same version asked for twice renders once: the second export says it is on its way", async () => {
    const u = next();
    await withClip(h, u, clip);
    const first = envelopeOf(u, { kind: "export" });
    const second = envelopeOf(u, { kind: "export" });
    await h.queue.submit(first);
    await h.queue.submit(second);
    await h.outbox.waitFor(en.exportAlreadyRendering, { chatId: String(u), type: "status", timeoutMs: 15_000 });
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    const started = h.emulator.counters.rendersStarted();
    expect(started.filter((id) => id.includes(first.id))).toHaveLength(1);
    expect(started.filter((id) => id.includes(second.id))).toEqual([]);
    expect(videosOf(String(u))).toHaveLength(1);

    // Once that video is out, asking again renders again (the user may have lost it).
    const third = envelopeOf(u, { kind: "export" });
    await h.queue.submit(third);
    await until(() => videosOf(String(u)).length === 2, 15_000, "second video");
    expect(h.emulator.counters.rendersStarted().filter((id) => id.includes(third.id))).toHaveLength(1);
  });

  it("a render left listed by a crashed capture but already delivered does not block the same version", async () => {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    // What a capture re-run after a crash leaves behind: the finished render still listed as in flight.
    const state = await h.accounts.withSession(sessionOf(u), (s) => h.nemo.state(s.auth, s.sessionId));
    expect(state.sessionId).toBe(sessionId);
    const sessionKey = sessionKeyOf(sessionOf(u));
    const stale = `stale-${u}`;
    await h.redis.hset(sessionDraftRendersKey(h.prefix, sessionKey), draftFingerprint(state.draft), stale);
    await h.redis.sadd(sessionRendersKey(h.prefix, sessionKey), stale);
    await new Markers(h.redis, h.prefix).set("delivered", stale);

    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    expect(h.outbox.texts(String(u))).not.toContain(en.exportAlreadyRendering);
  });

  it("draws the progress bar", () => {
    expect(progressBar(40)).toBe("▓▓▓▓░░░░░░");
    expect(progressBar(0)).toBe("░░░░░░░░░░");
    expect(progressBar(100)).toBe("▓▓▓▓▓▓▓▓▓▓");
  });
});

describe("100 concurrent exports, one worker with concurrency 4", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { WORKER_CONCURRENCY: "4", RENDER_CONCURRENCY: "4", RENDER_POLL_MS: "50" }, emulator: { ffmpeg: false } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("all 100 are delivered, each once", async () => {
    const clip = await makeTestClip(mkdtempSync(join(tmpdir(), "export-many-")));
    const users = Array.from({ length: 20 }, (_, i) => 500 + i);
    await Promise.all(users.map((u) => withClip(h, u, clip)));
    // Five versions per user (a new title before each export): the same version would render once.
    const items = users.map((u) =>
      Array.from({ length: 5 }, (_, take) => [
        envelopeOf(u, { kind: "turn", text: `add the title "Take ${take + 1}"` }),
        envelopeOf(u, { kind: "export" }),
      ]).flat(),
    );
    // Each user's items in order; users at once.
    await Promise.all(items.map(async (list) => {
      for (const envelope of list) await h.queue.submit(envelope);
    }));
    await until(() => h.done.exports >= 100, 60_000, "100 exports");
    const videos = h.outbox.entries.filter((e) => e.type === "video");
    expect(videos).toHaveLength(100);
    for (const u of users) expect(videos.filter((v) => v.to.chatId === String(u))).toHaveLength(5);
    expect(h.emulator.counters.rendersStarted()).toHaveLength(100);
  }, 90_000);
});
