import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markerKey } from "../../jobs/keys.js";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import { startWorkerChild } from "../helpers/worker-child.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

const en = messages("en");

/**
 * A drainer that BullMQ fails for stalling (its worker killed mid-step more often than the stall
 * limit allows) is added again at once by the worker process that saw it fail, through the session
 * worker's "failed" listener (jobs/repair.ts), not by the repair sweep a minute later. The limit is
 * shrunk to no stall at all, and the sweep to once an hour, so only the listener can bring the item
 * back within the test's wait.
 */
describe("a drainer failed for stalling, its worker SIGKILLed mid-upload", () => {
  let h: Harness;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    h = await startHarness({ noWorkers: true, tuning: { maxStallsInARow: 0, repairEveryMs: 3_600_000 } });
    dir = mkdtempSync(join(tmpdir(), "stalled-drainer-"));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await h.close();
  });

  it("is added again at once by the worker that failed it, and the upload is answered", async () => {
    const user = 970;
    const clip = await makeTestClip(dir);
    const sessionId = await h.sessionIdOf(sessionOf(user));
    // The backend takes the file, then never answers: the worker holds the drainer until it is killed.
    h.emulator.faults.add({ kind: "hang-after-upload", sessionId });
    const worker = await startWorkerChild({ prefix: h.prefix, apiBase: h.emulator.url, exportDir: join(dir, "exports"), outboxFile: join(dir, "outbox.jsonl") });
    children.push(worker);
    const attachment = { id: "stall-1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
    const item = envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] });
    await h.queue.submit(item);
    await until(() => (h.emulator.session(sessionId)?.uploads.length ?? 0) === 1, 20_000, "the backend to take the file");

    // This process's workers start (their first repair sweep finds the drainer active: nothing to
    // repair), then the child is killed with the drainer in hand.
    await h.startWorkers();
    const gone = new Promise((resolve) => worker.once("exit", resolve));
    worker.kill("SIGKILL");
    await gone;

    const answered = await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text", timeoutMs: 20_000 });
    expect(answered.type).toBe("text");
    // BullMQ failed the drainer for stalling (one round counted against the item), and the clip is in the project once.
    expect(await h.redis.get(markerKey(h.prefix, "stalled", item.id))).toBe("1");
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
  }, 60_000);
});
