import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { readFileOutbox } from "../fixtures/file-outbox.js";
import { makeTestClip } from "../helpers/media.js";
import { startWorkerChild } from "../helpers/worker-child.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

const en = messages("en");

describe("a worker process killed with SIGKILL, then a new one", () => {
  let h: Harness;
  let dir: string;
  let outboxFile: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Slow enough to kill mid-stream and mid-render; everything else tiny.
    h = await startHarness({
      noWorkers: true,
      emulator: { timing: { turnStepMs: 300, heartbeatMs: 50, renderMs: 2_500, heartbeatOnlyMs: 60_000 } },
    });
    dir = mkdtempSync(join(tmpdir(), "crash-"));
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
      env: {
        STILL_WORKING_MS: "5000",
        RENDER_POLL_MS: "100",
        RECOVERY_FIRST_WAIT_MS: "100",
        RECOVERY_POLL_MS: "100",
        RECOVERY_MAX_UNCHANGED: "3",
      },
    });
    children.push(child);
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }

  const lines = () => readFileOutbox(outboxFile);

  it("mid-stream: no second /run_sse, the state says what happened; mid-render: no second render, one video", async () => {
    const user = 900;
    const chatId = String(user);
    const clip = await makeTestClip(dir);
    let worker = await startWorkerProcess();

    const attachment = { id: "clip-900", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
    await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] }));
    await until(() => lines().some((l) => l.type === "text" && l.text.includes(en.uploadDone({ names: ["clip.mp4"] }))), 15_000, "upload");
    const sessionId = await h.sessionIdOf(sessionOf(user));

    // --- killed mid-stream ---
    const text = 'add the title "Survivor"';
    await h.queue.submit(envelopeOf(user, { kind: "turn", text }));
    await until(() => lines().some((l) => l.type === "status" && l.text.includes(en.toolEditing)), 15_000, "the stream to be under way");
    expect(h.emulator.counters.runSse(sessionId, text)).toBe(1);
    await kill(worker);
    expect(lines().some((l) => l.text.includes("Survivor") && l.type === "text")).toBe(false);

    worker = await startWorkerProcess();
    await until(() => lines().some((l) => l.type === "text" && l.text.includes("went through")), 20_000, "the recovered answer");
    const found = lines().find((l) => l.type === "text" && l.text.includes("went through"));
    expect(found?.text).toContain(en.changeTitleAdded({ text: "Survivor" }));
    expect(h.emulator.counters.runSse(sessionId, text)).toBe(1);

    // --- killed mid-render ---
    const exportEnvelope = envelopeOf(user, { kind: "export" });
    await h.queue.submit(exportEnvelope);
    const ours = () => h.emulator.counters.rendersStarted().filter((id) => id.includes(exportEnvelope.id));
    await until(() => ours().length === 1 && lines().some((l) => l.type === "status" && /[▓░]{10}/.test(l.text)), 15_000, "render under way");
    await kill(worker);

    worker = await startWorkerProcess();
    await until(() => lines().some((l) => l.type === "video" && l.chatId === chatId), 20_000, "the video");
    await until(() => lines().some((l) => l.type === "status" && l.text === en.exportDone), 5_000, "export done");
    const videos = lines().filter((l) => l.type === "video" && l.chatId === chatId);
    expect(videos).toHaveLength(1);
    expect(videos[0]?.mp4).toBe(true);
    expect(ours()).toHaveLength(1);
    expect(h.emulator.counters.runSse(sessionId, text)).toBe(1);

    // --- SIGTERM: a clean stop ---
    const exited = new Promise<number | null>((r) => worker.once("exit", (code) => r(code)));
    worker.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 90_000);
});
