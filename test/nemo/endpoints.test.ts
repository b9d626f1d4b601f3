import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import type { NemoClient } from "../../src/nemo/client.js";
import type { RenderStatus, TurnEvent } from "../../src/nemo/types.js";
import { fastEmulator, freshUser, testClient } from "./emulator-setup.js";
import { collect } from "./local-server.js";

/** Every endpoint against the emulator, the way the bot calls them. */

let emulator: Emulator;
let client: NemoClient;
beforeAll(async () => {
  emulator = await fastEmulator({ ffmpeg: false });
  client = testClient(emulator.url);
});
afterAll(() => emulator.close());

const clipSource = (name = "clip.mp4") => ({ fileName: name, size: 4, contentType: "video/mp4", open: () => Readable.from([Buffer.from("fake")]) });

async function pollUntilDone(auth: { token: string }, id: string): Promise<RenderStatus> {
  for (;;) {
    const status = await client.renderStatus(auth, id);
    if (status.status === "completed" || status.status === "failed") return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("every endpoint against the emulator", () => {
  it("issues an anonymous token with credits and reuses it for the same client id", async () => {
    const first = await client.anonymousToken("client-a");
    expect(first.token).toMatch(/^nmv_usr_/);
    expect(first.userId).not.toBe("");
    expect(Number.isNaN(Date.parse(first.expiresAt))).toBe(false);
    expect(first.credits).toBe(100);
    const again = await client.anonymousToken("client-a");
    expect(again.userId).toBe(first.userId);
  });

  it("creates a session with a numeric-string id", async () => {
    const { token } = await client.anonymousToken("client-b");
    const session = await client.createSession({ token }, { language: "zh-CN" });
    expect(session.sessionId).toMatch(/^\d+$/);
    expect(session.taskId).not.toBe("");
    expect(emulator.session(session.sessionId)?.language).toBe("zh-CN");
  });

  it("reads credits", async () => {
    const { auth } = await freshUser(client);
    expect(await client.credits(auth)).toEqual({ available: 100, frozen: 0, total: 100 });
  });

  it("uploads files and URLs, and the state shows them", async () => {
    const { auth, sessionId } = await freshUser(client);
    const uploaded = await client.uploadFiles(auth, sessionId, [clipSource("a.mp4"), clipSource("b.mp4")]);
    expect(uploaded.sessionStateApplied).toBe(true);
    expect(uploaded.files.map((f) => [f.filename, f.fileType])).toEqual([
      ["a.mp4", "video"],
      ["b.mp4", "video"],
    ]);
    expect(uploaded.files[0]?.cdnUrl).toMatch(/^http/);
    const byUrl = await client.uploadUrls(auth, sessionId, ["https://cdn.example.com/song.mp3"]);
    expect(byUrl.files[0]?.fileType).toBe("audio");

    const state = await client.state(auth, sessionId);
    expect(state.sessionId).toBe(sessionId);
    expect(state.videoInfos.length).toBeGreaterThanOrEqual(2);
    expect(Array.isArray(state.draft?.t)).toBe(true);
    expect(state.canvasConfig).toBeTypeOf("object");
  });

  it("streams a turn: tool call, tool result, then the agent's text; the edit lands in the state", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [clipSource()]);
    const events = await collect(client.streamTurn(auth, sessionId, "add a title \"Urban Dreams\""));
    const meaningful = events.filter((e) => e.type !== "heartbeat");
    expect(meaningful.map((e) => e.type)).toEqual(["tool-call", "tool-result", "text"]);
    expect((meaningful[0] as Extract<TurnEvent, { type: "tool-call" }>).name).toBe("edit_multitrack");
    expect(events.some((e) => e.type === "heartbeat")).toBe(true);
    expect(emulator.counters.runSse(sessionId, "add a title \"Urban Dreams\"")).toBe(1);
    expect(JSON.stringify((await client.state(auth, sessionId)).draft)).toContain("Urban Dreams");
  });

  for (const shape of ["A", "B"] as const) {
    it(`exports, polls and downloads with render status shape ${shape}`, async () => {
      const shaped = await fastEmulator({ ffmpeg: false, renderShape: shape });
      try {
        const c = testClient(shaped.url);
        const { auth, sessionId } = await freshUser(c);
        // An image: without ffmpeg the emulator renders it as its tiny built-in MP4.
        await c.uploadFiles(auth, sessionId, [{ ...clipSource("still.png"), contentType: "image/png" }]);
        const state = await c.state(auth, sessionId);
        const id = `render_${shape}_${Date.now()}`;
        const started = await c.startRender(auth, { id, sessionId, draft: state.draft ?? {} });
        expect(started).toMatchObject({ id, status: "pending" });
        let status: RenderStatus;
        for (;;) {
          status = await c.renderStatus(auth, id);
          expect(status.progress).toBeGreaterThanOrEqual(0);
          expect(status.progress).toBeLessThanOrEqual(100);
          if (status.status === "completed" || status.status === "failed") break;
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(status).toMatchObject({ id, status: "completed", progress: 100 });
        expect(status.outputUrl).toMatch(/\.mp4$/);
        const dir = mkdtempSync(join(tmpdir(), "endpoints-download-"));
        const viaUrl = await c.downloadRender(auth, { renderId: id, outputUrl: status.outputUrl, path: join(dir, "a.mp4"), maxBytes: 1e9 });
        const viaApi = await c.downloadRender(auth, { renderId: id, path: join(dir, "b.mp4"), maxBytes: 1e9 });
        expect(viaUrl).toMatchObject({ kind: "done", source: "url" });
        expect(viaApi).toMatchObject({ kind: "done", source: "api" });
        const bytesA = readFileSync(join(dir, "a.mp4"));
        const bytesB = readFileSync(join(dir, "b.mp4"));
        expect(bytesA.subarray(4, 8).toString("latin1")).toBe("ftyp");
        expect(bytesB.equals(bytesA)).toBe(true);
        expect(viaApi.kind === "done" && viaApi.size).toBe(bytesB.length);
        rmSync(dir, { recursive: true, force: true });
      } finally {
        await shaped.close();
      }
    });
  }

  it("cancels a render", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [clipSource()]);
    const id = `render_cancel_${Date.now()}`;
    emulator.faults.add({ kind: "slow-render" });
    await client.startRender(auth, { id, sessionId, draft: (await client.state(auth, sessionId)).draft ?? {} });
    await client.cancelRender(auth, id);
    const after = await pollUntilDone(auth, id);
    expect(after.status).toBe("failed");
  });

  it("sends the attribution headers (the emulator refuses exports without them with 402)", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [clipSource()]);
    const unattributed = testClient(emulator.url, { skill: { source: "", version: "" } });
    const error = await unattributed.startRender(auth, { id: `render_h_${Date.now()}`, sessionId, draft: {} }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("plan_blocked");
    const ok = await client.startRender(auth, { id: `render_h2_${Date.now()}`, sessionId, draft: (await client.state(auth, sessionId)).draft ?? {} });
    expect(ok.status).toBe("pending");
  });
});
