import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { looksLikeMp4, makeTestAudio, makeTestClip, makeTestImage } from "../helpers/media.js";
import { call, dataOf, fastEmulator, runSse, state, uploadFiles, user, waitFor, type Draft } from "./support.js";

const run = promisify(execFile);

interface StatusA {
  taskId: string;
  status: string;
  progress: number;
  output?: { url: string; duration: number; size: number };
}
interface StatusB {
  success: true;
  data: { id: string; status: string; progress: number; outputUrl: string | null; createdAt: string; completedAt: string | null };
}

/** Reads either status shape into one. */
function readStatus(body: unknown): { status: string; progress: number; url?: string; shape: "A" | "B" } {
  const b = body as Partial<StatusB> & Partial<StatusA>;
  if (b.success && b.data) return { status: b.data.status, progress: b.data.progress, url: b.data.outputUrl ?? undefined, shape: "B" };
  return { status: b.status!, progress: b.progress!, url: b.output?.url, shape: "A" };
}

describe("emulator: renders", () => {
  let dir: string;
  let clip: string;
  const started: Emulator[] = [];

  async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
    const emu = await fastEmulator({ anonymousPerIpLimit: Infinity, ...options });
    started.push(emu);
    return emu;
  }

  async function editedSession(emu: Emulator, message: string, files = [clip]) {
    const u = await user(emu.url);
    await uploadFiles(emu.url, u.token, u.sessionId, files);
    if (message) await runSse(emu.url, u.token, u.sessionId, message);
    return { ...u, draft: (await state(emu.url, u.token, u.sessionId)).draft };
  }

  function start(emu: Emulator, token: string, body: Record<string, unknown>, headers?: Record<string, string>) {
    return call(emu.url, "POST", "/api/render/proxy/lambda", { token, body: { output: { format: "mp4", quality: "high" }, ...body }, headers });
  }

  async function finished(emu: Emulator, token: string, id: string) {
    return waitFor(async () => {
      const s = readStatus((await call(emu.url, "GET", `/api/render/proxy/lambda/${id}`, { token })).json);
      return s.status === "completed" || s.status === "failed" ? s : undefined;
    });
  }

  async function probe(bytes: Buffer): Promise<{ width: number; height: number; duration: number; audio: boolean }> {
    const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mp4`);
    await writeFile(file, bytes);
    const { stdout } = await run("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file]);
    const info = JSON.parse(stdout) as { streams: Array<{ codec_type: string; width?: number; height?: number }>; format: { duration: string } };
    const video = info.streams.find((s) => s.codec_type === "video")!;
    return { width: video.width!, height: video.height!, duration: Number(info.format.duration), audio: info.streams.some((s) => s.codec_type === "audio") };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "emu-renders-"));
    clip = await makeTestClip(dir, { seconds: 4, width: 320, height: 240 });
  });
  afterAll(async () => {
    await Promise.all(started.map((e) => e.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses export with HTTP 402 without the attribution headers", async () => {
    const emu = await emulator();
    const s = await editedSession(emu, "");
    const answer = await start(emu, s.token, { id: "render_noattr", sessionId: s.sessionId, draft: s.draft }, { "x-skill-source": "" });
    expect(answer.status).toBe(402);
  });

  it("renders a real 9:16 MP4 with the edit applied, served by the output URL and the download route", async () => {
    const emu = await emulator({ renderShape: "A" });
    const s = await editedSession(emu, 'cut to 2 seconds, 9:16, add the title "Summer Vibes"');
    const answer = await start(emu, s.token, { id: "render_a1", sessionId: s.sessionId, draft: s.draft });
    expect(answer.json).toEqual({ id: "render_a1", status: "pending", progress: 5 });

    const done = await finished(emu, s.token, "render_a1");
    expect(done).toMatchObject({ status: "completed", progress: 100, shape: "A" });
    const raw = (await call(emu.url, "GET", "/api/render/proxy/lambda/render_a1", { token: s.token })).json as StatusA;
    expect(raw.output).toMatchObject({ duration: 2, size: expect.any(Number) });

    const fromUrl = await request(done.url!); // no auth, like a CDN
    const bytes = Buffer.from(await fromUrl.body.arrayBuffer());
    expect(looksLikeMp4(bytes)).toBe(true);
    expect(bytes.length).toBe(raw.output!.size);
    const info = await probe(bytes);
    expect([info.width, info.height]).toEqual([360, 640]);
    expect(info.duration).toBeCloseTo(2, 0);
    expect(info.audio).toBe(true);

    const viaApi = await request(`${emu.url}/api/render/proxy/render_a1/download`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(viaApi.statusCode).toBe(200);
    expect(Buffer.from(await viaApi.body.arrayBuffer()).equals(bytes)).toBe(true);
    expect(emu.counters.rendersStarted()).toEqual(["render_a1"]);
  });

  it("answers status in shape B when asked, moving pending → processing → completed", async () => {
    const emu = await emulator({ renderShape: "B", timing: { renderMs: 1000 } });
    const s = await editedSession(emu, "make it square");
    await start(emu, s.token, { id: "render_b1", sessionId: s.sessionId, draft: s.draft });
    const seen: string[] = [];
    const done = await waitFor(async () => {
      const body = (await call(emu.url, "GET", "/api/render/proxy/lambda/render_b1", { token: s.token })).json as StatusB;
      expect(body.success).toBe(true);
      if (seen[seen.length - 1] !== body.data.status) seen.push(body.data.status);
      return body.data.status === "completed" ? body : undefined;
    }, 10);
    // Time moves it forward only: never back, and through processing to completed.
    expect(["pending,processing,completed", "processing,completed"]).toContain(seen.join(","));
    expect(done.data.completedAt).not.toBeNull();
    const info = await probe(Buffer.from(await (await request(done.data.outputUrl!)).body.arrayBuffer()));
    expect([info.width, info.height]).toEqual([480, 480]);
  });

  it("alternates the two shapes by render id by default", async () => {
    const emu = await emulator();
    const s = await editedSession(emu, "");
    const shapes = new Set<string>();
    for (let i = 0; i < 8; i++) {
      await start(emu, s.token, { id: `render_alt_${i}`, sessionId: s.sessionId, draft: s.draft });
      shapes.add(readStatus((await call(emu.url, "GET", `/api/render/proxy/lambda/render_alt_${i}`, { token: s.token })).json).shape);
    }
    expect([...shapes].sort()).toEqual(["A", "B"]);
  });

  it("refuses a reused render id", async () => {
    const emu = await emulator();
    const s = await editedSession(emu, "");
    await start(emu, s.token, { id: "render_dup", sessionId: s.sessionId, draft: s.draft });
    const again = await start(emu, s.token, { id: "render_dup", sessionId: s.sessionId, draft: s.draft });
    expect(again.status).toBe(409);
  });

  it("render-fails ends in failed; slow-render is still working when a normal one is done", async () => {
    // Slow is 10x: 10 s against 1 s, far more than the one ffmpeg run both share.
    const emu = await emulator({ timing: { renderMs: 1000 } });
    const s = await editedSession(emu, "");
    emu.faults.add({ kind: "render-fails" });
    await start(emu, s.token, { id: "render_bad", sessionId: s.sessionId, draft: s.draft });
    expect((await finished(emu, s.token, "render_bad")).status).toBe("failed");

    emu.faults.add({ kind: "slow-render" });
    await start(emu, s.token, { id: "render_slow", sessionId: s.sessionId, draft: s.draft });
    await start(emu, s.token, { id: "render_quick", sessionId: s.sessionId, draft: s.draft });
    expect((await finished(emu, s.token, "render_quick")).status).toBe("completed");
    const slow = readStatus((await call(emu.url, "GET", "/api/render/proxy/lambda/render_slow", { token: s.token })).json);
    expect(slow.status).not.toBe("completed");
  });

  it("export-blocked answers 402; cancel stops a render; download before completion is refused", async () => {
    const emu = await emulator({ timing: { renderMs: 10_000 } });
    const s = await editedSession(emu, "");
    emu.faults.add({ kind: "export-blocked" });
    expect((await start(emu, s.token, { id: "render_blocked", sessionId: s.sessionId, draft: s.draft })).status).toBe(402);

    await start(emu, s.token, { id: "render_cancel", sessionId: s.sessionId, draft: s.draft });
    const early = await call(emu.url, "GET", "/api/render/proxy/render_cancel/download", { token: s.token });
    expect(early.status).toBe(409);
    expect(dataOf(await call(emu.url, "POST", "/api/render/proxy/lambda/render_cancel/cancel", { token: s.token }))).toMatchObject({ cancelled: true });
    expect(readStatus((await call(emu.url, "GET", "/api/render/proxy/lambda/render_cancel", { token: s.token })).json).status).toBe("failed");
  });

  it("turns images into a slideshow and mixes uploaded music", async () => {
    const emu = await emulator();
    const images = [await makeTestImage(dir, { width: 300, height: 200 }), await makeTestImage(dir, { width: 200, height: 300 })];
    const music = await makeTestAudio(dir, { seconds: 3 });
    const s = await editedSession(emu, "add background music", [...images, music]);
    expect(s.draft.d).toBe(6000);
    await start(emu, s.token, { id: "render_slides", sessionId: s.sessionId, draft: s.draft });
    const done = await finished(emu, s.token, "render_slides");
    const info = await probe(Buffer.from(await (await request(done.url!)).body.arrayBuffer()));
    expect(info.duration).toBeCloseTo(6, 0);
    expect(info.audio).toBe(true);
  });

  it("renders the draft the client sent, not the session's", async () => {
    const emu = await emulator();
    const s = await editedSession(emu, "");
    const draft: Draft = { ...s.draft, d: 1000, m: { width: 1080, height: 1920, ratio: "9:16" } };
    await start(emu, s.token, { id: "render_own", sessionId: s.sessionId, draft });
    const done = await finished(emu, s.token, "render_own");
    const info = await probe(Buffer.from(await (await request(done.url!)).body.arrayBuffer()));
    expect([info.width, info.height]).toEqual([360, 640]);
    expect(info.duration).toBeCloseTo(1, 0);
  });

  it("renders a generated video (no uploaded media) as a real MP4", async () => {
    const emu = await emulator();
    const u = await user(emu.url);
    await runSse(emu.url, u.token, u.sessionId, "generate a 3-second video of a city at night for TikTok");
    const draft = (await state(emu.url, u.token, u.sessionId)).draft;
    await start(emu, u.token, { id: "render_gen", sessionId: u.sessionId, draft });
    const done = await finished(emu, u.token, "render_gen");
    const info = await probe(Buffer.from(await (await request(done.url!)).body.arrayBuffer()));
    expect([info.width, info.height]).toEqual([360, 640]);
    expect(info.duration).toBeCloseTo(3, 0);
  });

  it("still completes with an MP4 when ffmpeg is off", async () => {
    const emu = await emulator({ ffmpeg: false });
    const s = await editedSession(emu, "cut to 2 seconds");
    await start(emu, s.token, { id: "render_noff", sessionId: s.sessionId, draft: s.draft });
    const done = await finished(emu, s.token, "render_noff");
    expect(done.status).toBe("completed");
    expect(looksLikeMp4(Buffer.from(await (await request(done.url!)).body.arrayBuffer()))).toBe(true);
  });
  it("the render download serves byte ranges like a CDN (206, Content-Range, If-Range, 416)", async () => {
    const emu = await emulator({ ffmpeg: false });
    const s = await editedSession(emu, "cut to 2 seconds");
    await start(emu, s.token, { id: "render_range", sessionId: s.sessionId, draft: s.draft });
    const done = await finished(emu, s.token, "render_range");
    const whole = await request(done.url!);
    const bytes = Buffer.from(await whole.body.arrayBuffer());
    const etag = String(whole.headers.etag);
    expect(whole.headers["accept-ranges"]).toBe("bytes");

    const tail = await request(done.url!, { headers: { range: "bytes=100-", "if-range": etag } });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers["content-range"]).toBe(`bytes 100-${bytes.length - 1}/${bytes.length}`);
    expect(Buffer.from(await tail.body.arrayBuffer()).equals(bytes.subarray(100))).toBe(true);
    // A validator that no longer matches gets the whole file.
    const changed = await request(done.url!, { headers: { range: "bytes=100-", "if-range": '"other"' } });
    expect(changed.statusCode).toBe(200);
    expect(Buffer.from(await changed.body.arrayBuffer()).length).toBe(bytes.length);
    const past = await request(done.url!, { headers: { range: `bytes=${bytes.length}-` } });
    expect(past.statusCode).toBe(416);
    await past.body.dump();
    // The authenticated download route serves ranges too.
    const viaApi = await request(`${emu.url}/api/render/proxy/render_range/download`, { headers: { authorization: `Bearer ${s.token}`, range: "bytes=0-7" } });
    expect(viaApi.statusCode).toBe(206);
    expect(Buffer.from(await viaApi.body.arrayBuffer()).equals(bytes.subarray(0, 8))).toBe(true);
  });

  it("download faults: a reset or a truncated body cuts the file halfway; a 503 answers the gateway's page", async () => {
    const emu = await emulator({ ffmpeg: false });
    const s = await editedSession(emu, "cut to 2 seconds");
    await start(emu, s.token, { id: "render_cut", sessionId: s.sessionId, draft: s.draft });
    const done = await finished(emu, s.token, "render_cut");
    const size = Buffer.from(await (await request(done.url!)).body.arrayBuffer()).length;
    for (const kind of ["download-reset", "download-truncated"] as const) {
      emu.faults.add({ kind, sessionId: s.sessionId });
      const cut = await request(done.url!);
      expect(cut.headers["content-length"]).toBe(String(size));
      let received = 0;
      const failure = await (async () => {
        for await (const chunk of cut.body as AsyncIterable<Buffer>) received += chunk.length;
      })().then(() => undefined, (error: unknown) => error);
      expect(failure, kind).toBeInstanceOf(Error);
      expect(received).toBeLessThan(size);
    }
    emu.faults.add({ kind: "server-error", status: 503, route: "download", sessionId: s.sessionId });
    const busy = await request(done.url!);
    expect(busy.statusCode).toBe(503);
    await busy.body.dump();
  });

  it("output-url: a render status can name any URL as its output", async () => {
    const emu = await emulator({ renderShape: "B" });
    const s = await editedSession(emu, "cut to 2 seconds");
    await start(emu, s.token, { id: "render_url", sessionId: s.sessionId, draft: s.draft });
    await finished(emu, s.token, "render_url");
    emu.faults.add({ kind: "output-url", url: "http://127.0.0.1:9/metrics", sessionId: s.sessionId });
    const answer = await call(emu.url, "GET", "/api/render/proxy/lambda/render_url", { token: s.token });
    expect(readStatus(answer.json).url).toBe("http://127.0.0.1:9/metrics");
  });
});
