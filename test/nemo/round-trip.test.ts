import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import type { RenderStatus } from "../../src/nemo/types.js";
import { fastEmulator, testClient } from "./emulator-setup.js";
import { collect } from "./local-server.js";

/** The whole way a user's video goes: token, session, upload, edit, state, export, poll, download. */

const hasFfmpeg = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "nemo-round-trip-"));
const clip = join(dir, "clip.mp4");
let emulator: Emulator;

beforeAll(async () => {
  if (!hasFfmpeg) return;
  execFileSync("ffmpeg", [
    "-y", "-loglevel", "error",
    "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
    "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
    "-shortest", "-movflags", "+faststart", clip,
  ]);
  emulator = await fastEmulator({ ffmpeg: true });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("round trip", () => {
  it.skipIf(!hasFfmpeg)("anonymous token → session → upload a real clip → edit → state → export → poll → download an MP4 (skipped without ffmpeg: apt-get install ffmpeg)", async () => {
    const client = testClient(emulator.url, { uploadTimeoutMs: 20_000 });
    const { token, credits } = await client.anonymousToken("round-trip-client");
    expect(credits).toBe(100);
    const auth = { token };
    const { sessionId } = await client.createSession(auth, { language: "en" });

    const upload = await client.uploadFiles(auth, sessionId, [
      { fileName: "clip.mp4", size: statSync(clip).size, contentType: "video/mp4", open: () => createReadStream(clip) },
    ]);
    expect(upload.files[0]).toMatchObject({ filename: "clip.mp4", fileType: "video", width: 320, height: 240 });
    expect(upload.files[0]?.duration).toBeCloseTo(2, 0);

    const events = await collect(client.streamTurn(auth, sessionId, 'add a title "Round Trip"'));
    expect(events.some((e) => e.type === "text" && !e.partial)).toBe(true);

    const state = await client.state(auth, sessionId);
    expect(JSON.stringify(state.draft)).toContain("Round Trip");
    expect(state.videoInfos).toHaveLength(1);

    const id = `render_rt_${Date.now()}`;
    await client.startRender(auth, { id, sessionId, draft: state.draft ?? {} });
    let status: RenderStatus = await client.renderStatus(auth, id);
    while (status.status === "pending" || status.status === "processing") {
      await new Promise((r) => setTimeout(r, 50));
      status = await client.renderStatus(auth, id);
    }
    expect(status.status).toBe("completed");

    const path = join(mkdtempSync(join(tmpdir(), "round-trip-")), "render.mp4");
    const result = await client.downloadRender(auth, { renderId: id, outputUrl: status.outputUrl, path, maxBytes: 1e9 });
    const mp4 = readFileSync(path);
    expect(mp4.subarray(4, 8).toString("latin1")).toBe("ftyp");
    expect(result).toEqual({ kind: "done", size: mp4.length, source: "url" });
    expect(mp4.length).toBeGreaterThan(1000);
  });
});
