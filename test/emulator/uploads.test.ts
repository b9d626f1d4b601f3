import { createHash, randomUUID } from "node:crypto";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { makeTestAudio, makeTestClip, makeTestImage } from "../helpers/media.js";
import { ATTRIBUTION, audioTrack, call, dataOf, fastEmulator, state, uploadFiles, user, videoTrack } from "./support.js";

interface UploadedFile {
  filename: string;
  file_type: string;
  cdn_url: string;
  duration: number;
  width: number;
  height: number;
  fps: number;
  hash: string;
}

describe("emulator: uploads", () => {
  let emu: Emulator;
  let dir: string;

  beforeAll(async () => {
    emu = await fastEmulator({ anonymousPerIpLimit: Infinity, maxUploadBytes: 2 * 1024 * 1024 });
    dir = await mkdtemp(join(tmpdir(), "emu-uploads-"));
  });
  afterAll(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("streams several files in one multipart upload, probes them and puts them on the timeline", async () => {
    const u = await user(emu.url);
    const clip = await makeTestClip(dir, { seconds: 2, width: 320, height: 240, name: "walk.mp4" });
    const image = await makeTestImage(dir, { width: 200, height: 400, name: "poster.png" });
    const audio = await makeTestAudio(dir, { seconds: 2, name: "tune.mp3" });
    const answer = await uploadFiles(emu.url, u.token, u.sessionId, [clip, image, audio]);
    const data = dataOf<{ files: UploadedFile[]; session_state_applied: boolean }>(answer);
    expect(data.session_state_applied).toBe(true);
    const [v, i, a] = data.files;
    expect(v).toMatchObject({ filename: "walk.mp4", file_type: "video", width: 320, height: 240, fps: 25 });
    expect(v!.duration).toBeCloseTo(2, 0);
    expect(i).toMatchObject({ filename: "poster.png", file_type: "image", width: 200, height: 400 });
    expect(a).toMatchObject({ filename: "tune.mp3", file_type: "audio" });

    // The CDN link serves the very bytes that were sent, and the hash is theirs.
    const bytes = await readFile(clip);
    const served = await request(v!.cdn_url);
    expect(Buffer.from(await served.body.arrayBuffer()).equals(bytes)).toBe(true);
    expect(v!.hash).toBe(createHash("md5").update(bytes).digest("hex"));

    const draft = (await state(emu.url, u.token, u.sessionId)).draft;
    expect(videoTrack(draft)!.sg.map((s) => [s.n, s.s, s.d])).toEqual([
      ["walk.mp4", 0, 2000],
      ["poster.png", 2000, 3000],
    ]);
    expect(audioTrack(draft)!.sg[0]).toMatchObject({ n: "tune.mp3" });
    expect(emu.session(u.sessionId)!.uploads.map((f) => f.fileType)).toEqual(["video", "image", "audio"]);
  });

  it("answers 4001 for an unsupported file and keeps nothing of it", async () => {
    const u = await user(emu.url);
    const text = join(dir, "notes.txt");
    await writeFile(text, "not a video");
    const answer = await uploadFiles(emu.url, u.token, u.sessionId, [text]);
    expect(answer.status).toBe(200);
    expect((answer.json as { code: number }).code).toBe(4001);
    expect(emu.session(u.sessionId)!.uploads).toEqual([]);
  });

  it("answers 4002 for a file over the limit, after reading the whole upload", async () => {
    const u = await user(emu.url);
    const boundary = `b-${randomUUID()}`;
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.mp4"\r\n\r\n`);
      const block = Buffer.alloc(256 * 1024, 7);
      for (let i = 0; i < 16; i++) yield block; // 4 MB against a 2 MB limit
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const res = await request(`${emu.url}/api/upload-video/nemo_agent/me/${u.sessionId}`, {
      method: "POST",
      headers: { ...ATTRIBUTION, authorization: `Bearer ${u.token}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: Readable.from(body()),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { code: number }).code).toBe(4002);
    expect(emu.session(u.sessionId)!.uploads).toEqual([]);
  });

  it("takes URLs: fetches loopback ones, records others", async () => {
    const owner = await user(emu.url);
    const clip = await makeTestClip(dir, { seconds: 1, name: "source.mp4" });
    const first = dataOf<{ files: UploadedFile[] }>(await uploadFiles(emu.url, owner.token, owner.sessionId, [clip]));

    const u = await user(emu.url);
    const answer = await call(emu.url, "POST", `/api/upload-video/nemo_agent/me/${u.sessionId}`, {
      token: u.token,
      body: { urls: [first.files[0]!.cdn_url, "https://example.com/media/remote.mov"], source_type: "url" },
    });
    const files = dataOf<{ files: UploadedFile[] }>(answer).files;
    expect(files[0]).toMatchObject({ filename: "source.mp4", file_type: "video", hash: first.files[0]!.hash });
    expect(files[0]!.cdn_url).not.toBe(first.files[0]!.cdn_url);
    expect(files[1]).toMatchObject({ filename: "remote.mov", file_type: "video", cdn_url: "https://example.com/media/remote.mov" });
    expect(videoTrack((await state(emu.url, u.token, u.sessionId)).draft)!.sg).toHaveLength(2);
  });

  it("answers the upload faults without reading what was sent", async () => {
    const u = await user(emu.url);
    const clip = await makeTestClip(dir, { seconds: 1 });
    emu.faults.add({ kind: "unsupported-file" });
    emu.faults.add({ kind: "file-too-large" });
    expect(((await uploadFiles(emu.url, u.token, u.sessionId, [clip])).json as { code: number }).code).toBe(4001);
    expect(((await uploadFiles(emu.url, u.token, u.sessionId, [clip])).json as { code: number }).code).toBe(4002);
    expect(((await uploadFiles(emu.url, u.token, u.sessionId, [clip])).json as { code: number }).code).toBe(0);
  });

  it("answers 1002 for an upload to an unknown session", async () => {
    const u = await user(emu.url);
    const clip = await makeTestClip(dir, { seconds: 1 });
    expect(((await uploadFiles(emu.url, u.token, "999", [clip])).json as { code: number }).code).toBe(1002);
  });
});
