import { Queue } from "bullmq";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { queueNames } from "../../jobs/keys.js";
import type { DrainerData } from "../../jobs/queues.js";
import { readFileOutbox } from "../fixtures/file-outbox.js";
import { makeTestClip } from "../helpers/media.js";
import { startWorkerChild } from "../helpers/worker-child.js";
import { envelopeOf, sessionOf, startHarness, statusesOf, until, type Harness } from "./harness.js";

const en = messages("en");

/**
 * The fault run's "clip in the project twice": a worker SIGKILLed after the backend took the file
 * and before the upload's `upload` marker was written. The item is taken over by another worker.
 */
describe("a worker SIGKILLed between the backend's accept of an upload and its marker", () => {
  let h: Harness;
  let dir: string;
  let outboxFile: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The turn in front of the upload takes a moment, so the upload waits (and gets a queued status).
    h = await startHarness({ noWorkers: true, emulator: { timing: { turnStepMs: 300, heartbeatMs: 50, renderMs: 500, heartbeatOnlyMs: 60_000 } } });
    dir = mkdtempSync(join(tmpdir(), "upload-kill-"));
    outboxFile = join(dir, "outbox.jsonl");
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await h.close();
  });

  async function startWorkerProcess(): Promise<ChildProcess> {
    const child = await startWorkerChild({
      prefix: h.prefix,
      apiBase: h.emulator.url,
      exportDir: join(dir, "exports"),
      outboxFile,
    });
    children.push(child);
    return child;
  }

  it("the project holds the clip once, and the chat shows one upload status, ending in its final word", async () => {
    const user = 960;
    const chatId = String(user);
    const clip = await makeTestClip(dir);
    const sessionId = await h.sessionIdOf(sessionOf(user));
    // The backend takes the file, then never answers: the worker is killed while it waits.
    h.emulator.faults.add({ kind: "hang-after-upload", sessionId });
    let worker = await startWorkerProcess();

    await h.queue.submit(envelopeOf(user, { kind: "turn", text: 'add the title "Before"' }));
    const attachment = { id: "kill-1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
    await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] }));

    await until(() => (h.emulator.session(sessionId)?.uploads.length ?? 0) === 1, 20_000, "the backend to take the file");
    const gone = new Promise((r) => worker.once("exit", r));
    worker.kill("SIGKILL");
    await gone;
    expect(readFileOutbox(outboxFile).some((l) => l.text.includes(en.uploadDone({ names: ["clip.mp4"] })))).toBe(false);

    worker = await startWorkerProcess();
    await until(() => readFileOutbox(outboxFile).some((l) => l.type === "text" && l.text === en.uploadDone({ names: ["clip.mp4"] })), 20_000, "the upload's answer");

    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);

    // Every status message of the chat, whichever process posted it (the producer posts the queued
    // one, the workers edit it), by message id: its texts in order.
    const byMessage = new Map<string, string[]>();
    for (const s of statusesOf(h, chatId)) byMessage.set(s.id, [...s.history]);
    for (const l of readFileOutbox(outboxFile)) {
      if (l.type !== "status" || l.chatId !== chatId) continue;
      byMessage.set(l.messageId, [...(byMessage.get(l.messageId) ?? []), l.text]);
    }
    const uploading = en.uploading({ name: "clip.mp4", index: 1, total: 1 });
    const uploadStatuses = [...byMessage.values()].filter((texts) => texts.includes(uploading));
    expect(uploadStatuses).toHaveLength(1);
    expect(uploadStatuses[0]?.at(-1)).toBe(en.turnDone);
    for (const texts of byMessage.values()) expect(texts.at(-1)).toBe(en.turnDone);

    const exited = new Promise((r) => worker.once("exit", r));
    worker.kill("SIGTERM");
    await exited;
  }, 60_000);
});

describe("an upload taken up by a new drainer job (its old one gone, the repair sweep adds another)", () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), "upload-takeup-"));
  });
  afterAll(async () => {
    await h.close();
  });

  it("edits the status message the item had to its final word, and adds the file once", async () => {
    const user = 961;
    const chatId = String(user);
    const clip = await makeTestClip(dir);
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "hang-after-upload", sessionId });
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "t1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    const uploading = en.uploading({ name: "clip.mp4", index: 1, total: 1 });
    await until(() => (h.emulator.session(sessionId)?.uploads.length ?? 0) === 1 && statusesOf(h, chatId).some((s) => s.text === uploading), 10_000, "the file taken, its status shown");
    // The worker stops mid-upload (the item is handed back, its status still says "Uploading"), and
    // its drainer job is lost: what a job failed for stalling too often, then removed, leaves.
    await h.stopWorkers();
    const drainers = new Queue<DrainerData>(queueNames.session, { connection: h.redis, prefix: h.prefix });
    const jobs = await drainers.getJobs(["delayed", "wait", "prioritized"]);
    const ours = jobs.filter((j) => j.data.sessionKey.endsWith(`@${chatId}`));
    expect(ours).toHaveLength(1);
    await ours[0]?.remove();
    await drainers.close();

    await h.startWorkers();
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId, type: "text", timeoutMs: 10_000 });
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
    expect(statusesOf(h, chatId).map((s) => s.text)).toEqual([en.turnDone]);
  });
});
