import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { makeTestAudio, makeTestClip } from "../helpers/media.js";
import { BOTTOM, colorClip, colorName, difference, frameAt, meanColor, probe, rms, samples, TOP, whiteShare } from "./media-checks.js";
import { audioTrack, call, captionTrack, fastEmulator, runSse, state, textOf, titleTrack, uploadFiles, user, videoTrack, waitFor, type Draft } from "./support.js";

/**
 * Every edit the emulator says it made is in the MP4 it renders: checked with ffprobe, with frames
 * sampled where the edit shows, and with the sound's level where it is heard.
 */

let emu: Emulator;
let dir: string;
/** 2 s red, 3 s blue: two clips that frames can tell apart. */
let red2: string;
let blue3: string;
/** One colour per second: red, green, blue, yellow. */
let rgby: string;
let silentBlue4: string;
let toneBlue4: string;
let wideRed: string;
let tone: string;

beforeAll(async () => {
  emu = await fastEmulator({ anonymousPerIpLimit: Infinity });
  dir = await mkdtemp(join(tmpdir(), "emu-real-edits-"));
  [red2, blue3, rgby, silentBlue4, toneBlue4, wideRed, tone] = await Promise.all([
    colorClip(dir, "red.mp4", ["red", "red"], { tone: 440 }),
    colorClip(dir, "blue.mp4", ["blue", "blue", "blue"], { tone: 440 }),
    colorClip(dir, "rgby.mp4", ["red", "green", "blue", "yellow"], { tone: 440 }),
    colorClip(dir, "quiet.mp4", ["blue", "blue", "blue", "blue"]),
    colorClip(dir, "loud.mp4", ["blue", "blue", "blue", "blue"], { tone: 440 }),
    colorClip(dir, "wide.mp4", ["red", "red"], { width: 320, height: 180 }),
    makeTestAudio(dir, { seconds: 2, name: "song.m4a", frequency: 330 }),
  ]);
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

interface Edited {
  token: string;
  sessionId: string;
  draft: Draft;
  replies: string[];
}

/** A new user uploads the files one by one and sends the messages, as a chat would. */
async function edit(files: string[], messages: string[], language = "en"): Promise<Edited> {
  const u = await user(emu.url, language);
  for (const file of files) expect((await uploadFiles(emu.url, u.token, u.sessionId, [file])).status).toBe(200);
  const replies: string[] = [];
  for (const message of messages) replies.push(textOf(await runSse(emu.url, u.token, u.sessionId, message)));
  return { ...u, replies, draft: (await state(emu.url, u.token, u.sessionId)).draft };
}

/** Exports the session's draft and downloads the MP4; resolves with its path. */
async function render(s: Edited): Promise<string> {
  const id = `render_${randomUUID()}`;
  const started = await call(emu.url, "POST", "/api/render/proxy/lambda", { token: s.token, body: { id, sessionId: s.sessionId, draft: s.draft, output: { format: "mp4" } } });
  expect(started.status).toBe(200);
  const status = await waitFor(async () => {
    const body = (await call(emu.url, "GET", `/api/render/proxy/lambda/${id}`, { token: s.token })).json as { status?: string; data?: { status: string } };
    const now = body.data?.status ?? body.status;
    return now === "completed" || now === "failed" ? now : undefined;
  });
  expect(status).toBe("completed");
  const download = await request(`${emu.url}/api/render/proxy/${id}/download`, { headers: { authorization: `Bearer ${s.token}` } });
  expect(download.statusCode).toBe(200);
  const path = join(dir, `${id}.mp4`);
  await writeFile(path, Buffer.from(await download.body.arrayBuffer()));
  return path;
}

describe("emulator: every accepted edit is in the rendered MP4", () => {
  it("puts two clips of 2 s and 3 s together into 5 s, in timeline order", async () => {
    const s = await edit([red2, blue3], ["put them together"]);
    expect(s.replies[0]).toContain("put red.mp4 and blue.mp4 together, one after another (5 seconds in all)");
    expect(videoTrack(s.draft)!.sg.map((g) => [g.n, g.s, g.d])).toEqual([
      ["red.mp4", 0, 2000],
      ["blue.mp4", 2000, 3000],
    ]);
    const out = await render(s);
    const info = await probe(out);
    expect(info.duration).toBeCloseTo(5, 1);
    expect([info.videoCodec, info.audioCodec]).toEqual(["h264", "aac"]);
    expect(colorName(await frameAt(out, 1))).toBe("red");
    expect(colorName(await frameAt(out, 3.5))).toBe("blue");
  });

  it("gives each clip its own trim: a length, or a span of its source", async () => {
    const s = await edit([red2, rgby], ["trim the first clip to 1 second and use 1-2s of the second clip"]);
    expect(s.replies[0]).toContain("cut red.mp4 to 1 seconds");
    expect(s.replies[0]).toContain("kept 1-2 s of rgby.mp4");
    expect(videoTrack(s.draft)!.sg.map((g) => [g.s, g.d, g.ss])).toEqual([
      [0, 1000, 0],
      [1000, 1000, 1000],
    ]);
    const out = await render(s);
    expect((await probe(out)).duration).toBeCloseTo(2, 1);
    expect(colorName(await frameAt(out, 0.5))).toBe("red");
    // The second clip starts at its second second: green, not its first (red).
    expect(colorName(await frameAt(out, 1.5))).toBe("green");
  });

  it("draws the title over the start of the video, where it says", async () => {
    const s = await edit([silentBlue4], ["add the title Beach Day"]);
    expect(titleTrack(s.draft)!.sg[0]).toMatchObject({ txt: "Beach Day", s: 0, d: 3000 });
    const out = await render(s);
    const during = await frameAt(out, 1);
    const after = await frameAt(out, 3.5);
    expect(whiteShare(during, TOP)).toBeGreaterThan(0.01);
    expect(whiteShare(after, TOP)).toBe(0);
    // The title changes the pixels where it is drawn and nowhere else.
    expect(difference(during, after, TOP)).toBeGreaterThan(5);
    expect(difference(during, after, BOTTOM)).toBeLessThan(2);
  });

  it("draws Chinese titles with real glyphs (two different titles make different pixels)", async () => {
    const first = await edit([silentBlue4], ["加上标题“夏日时光”"], "zh-CN");
    const second = await edit([silentBlue4], ["加上标题“海边假期”"], "zh-CN");
    expect(first.replies[0]).toContain("添加了标题“夏日时光”");
    const a = await frameAt(await render(first), 1);
    const b = await frameAt(await render(second), 1);
    expect(whiteShare(a, TOP)).toBeGreaterThan(0.01);
    expect(whiteShare(b, TOP)).toBeGreaterThan(0.01);
    // A font without these characters draws the same empty box for each: different text, same pixels.
    expect(difference(a, b, TOP)).toBeGreaterThan(3);
  });

  it("draws the captions the user gave, each timed over its part of the clip", async () => {
    const s = await edit([silentBlue4], ["add captions: Hello there! | See you soon"]);
    expect(captionTrack(s.draft)!.sg.map((g) => [g.txt, g.s, g.d])).toEqual([
      ["Hello there!", 0, 2000],
      ["See you soon", 2000, 2000],
    ]);
    const out = await render(s);
    const firstLine = await frameAt(out, 1);
    const secondLine = await frameAt(out, 3);
    expect(whiteShare(firstLine, BOTTOM)).toBeGreaterThan(0.005);
    expect(whiteShare(secondLine, BOTTOM)).toBeGreaterThan(0.005);
    expect(difference(firstLine, secondLine, BOTTOM)).toBeGreaterThan(3);
    expect(whiteShare(firstLine, TOP)).toBe(0);
  });

  it("draws Chinese captions", async () => {
    const s = await edit([silentBlue4], ["加字幕：你好！欢迎来到海边。"], "zh-CN");
    expect(captionTrack(s.draft)!.sg.map((g) => g.txt)).toEqual(["你好！", "欢迎来到海边。"]);
    const out = await render(s);
    const first = await frameAt(out, 1);
    const second = await frameAt(out, 3);
    expect(whiteShare(first, BOTTOM)).toBeGreaterThan(0.001);
    expect(whiteShare(second, BOTTOM)).toBeGreaterThan(0.001);
    expect(difference(first, second, BOTTOM)).toBeGreaterThan(2);
  });

  it("mixes a generated music bed at the asked volume, non-silent, with fades", async () => {
    const soft = await edit([silentBlue4], ["add calm music at 30%"]);
    const full = await edit([silentBlue4], ["add calm music at 100%"]);
    expect(soft.replies[0]).toContain('added background music "Chill Acoustic" (a generated music bed) at 30% volume');
    expect(audioTrack(soft.draft)!.sg[0]).toMatchObject({ n: "Chill Acoustic", v: 0.3, s: 0, d: 4000 });
    const quiet = await samples(await render(soft));
    const loud = await samples(await render(full));
    const level = rms(quiet, 1, 3);
    expect(level).toBeGreaterThan(0.005); // about -46 dBFS: clearly audible over a silent clip
    expect(level / rms(loud, 1, 3)).toBeGreaterThan(0.25);
    expect(level / rms(loud, 1, 3)).toBeLessThan(0.36);
  });

  it("mixes the user's own audio at the asked volume, fading in and out", async () => {
    // An uploaded song goes on the music track at once; "at 50%" then sets its volume.
    const s = await edit([silentBlue4, tone], ["set the music to 50%"]);
    expect(s.replies[0]).toContain('set the background music "song.m4a" to 50% volume');
    expect(audioTrack(s.draft)!.sg[0]).toMatchObject({ n: "song.m4a", v: 0.5, m: { fade_in: 1000, fade_out: 1000 } });
    const song = await samples(tone);
    const mixed = await samples(await render(s));
    const steady = rms(mixed, 1.5, 2.5);
    // The 2 s song loops under the 4 s video, at half its level.
    expect(steady / rms(song, 0.5, 1.5)).toBeGreaterThan(0.42);
    expect(steady / rms(song, 0.5, 1.5)).toBeLessThan(0.58);
    expect(rms(mixed, 0, 0.2)).toBeLessThan(steady * 0.3);
    expect(rms(mixed, 3.8, 4)).toBeLessThan(steady * 0.3);
  });

  it("keeps the clip's own sound at its level under the music", async () => {
    const plain = await samples(await render(await edit([toneBlue4], [])));
    const withMusic = await samples(await render(await edit([toneBlue4], ["add lo-fi music at 5%"])));
    const ratio = rms(withMusic, 1, 3) / rms(plain, 1, 3);
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.15);
  });

  it("mutes the clip's own sound, keeping a (silent) audio track", async () => {
    const s = await edit([toneBlue4], ["mute it"]);
    expect(videoTrack(s.draft)!.sg[0]!.v).toBe(0);
    const out = await render(s);
    expect((await probe(out)).hasAudio).toBe(true);
    expect(rms(await samples(out), 0, 4)).toBeLessThan(0.001);
  });

  it("speeds a clip up and slows one down, sound included", async () => {
    const fast = await edit([rgby], ["speed it up 2x"]);
    expect(fast.replies[0]).toContain("sped the video up to 2x (now 2 seconds)");
    const fastOut = await render(fast);
    expect((await probe(fastOut)).duration).toBeCloseTo(2, 1);
    // 1.25 s into the sped-up video is 2.5 s into the source: its blue second.
    expect(colorName(await frameAt(fastOut, 1.25))).toBe("blue");
    // Its sound is sped up too (atempo keeps the pitch), at the clip's own level.
    const sourceLevel = rms(await samples(rgby), 0.5, 3.5);
    expect(rms(await samples(fastOut), 0.2, 1.8) / sourceLevel).toBeGreaterThan(0.8);

    const slow = await edit([red2, rgby], ["slow down the second clip"]);
    expect(videoTrack(slow.draft)!.sg[1]).toMatchObject({ d: 8000, m: { speed: 0.5 } });
    const slowOut = await render(slow);
    expect((await probe(slowOut)).duration).toBeCloseTo(10, 1);
    // 2 s of red, then 2.5 s into the slowed clip is 1.25 s into its source: green.
    expect(colorName(await frameAt(slowOut, 4.5))).toBe("green");
  });

  it("fades the picture in from black and out to black", async () => {
    const s = await edit([rgby], ["fade in and out"]);
    const out = await render(s);
    expect(meanColor(await frameAt(out, 0)).luma).toBeLessThan(30);
    expect(colorName(await frameAt(out, 1.5))).toBe("green");
    expect(meanColor(await frameAt(out, 3.96)).luma).toBeLessThan(40);
  });

  it("changes the aspect ratio by cropping, or with black bars when asked", async () => {
    const cropped = await render(await edit([wideRed], ["make it 9:16"]));
    const padded = await render(await edit([wideRed], ["make it 9:16 with black bars"]));
    expect([(await probe(cropped)).width, (await probe(cropped)).height]).toEqual([360, 640]);
    expect([(await probe(padded)).width, (await probe(padded)).height]).toEqual([360, 640]);
    expect(colorName(await frameAt(cropped, 1), TOP)).toBe("red");
    expect(colorName(await frameAt(padded, 1), TOP)).toBe("black");
    expect(colorName(await frameAt(padded, 1))).toBe("red");
  });

  it("says plainly what it cannot do, and does not call it done", async () => {
    const s = await edit([silentBlue4], ["add captions"]);
    expect(s.replies[0]).toMatch(/^Nothing changed\. I cannot write captions from the speech: this local emulator does no speech recognition/);
    expect(captionTrack(s.draft)).toBeUndefined();

    const mixed = await edit([silentBlue4], ["add the title Beach Day, then make the sky purple"]);
    expect(mixed.replies[0]).toContain('Done! I added the title "Beach Day" at the start.');
    expect(mixed.replies[0]).toContain('I did not understand "make the sky purple", so I left it out.');

    const u = await user(emu.url);
    await uploadFiles(emu.url, u.token, u.sessionId, [silentBlue4]);
    const before = (await state(emu.url, u.token, u.sessionId)).draft;
    const stream = await runSse(emu.url, u.token, u.sessionId, "slow down the third clip");
    expect(textOf(stream)).toBe("Nothing changed. There is no third clip: the timeline has 1.");
    expect((await state(emu.url, u.token, u.sessionId)).draft).toEqual(before);
  });

  it("fails a render it cannot make instead of completing it without the edits", async () => {
    const broken = join(dir, "broken.mp4");
    await writeFile(broken, Buffer.from("this is not a video at all"));
    const s = await edit([await makeTestClip(dir, { seconds: 1 }), broken], ["add the title Oops"]);
    const id = `render_${randomUUID()}`;
    await call(emu.url, "POST", "/api/render/proxy/lambda", { token: s.token, body: { id, sessionId: s.sessionId, draft: s.draft } });
    const body = await waitFor(async () => {
      const answer = (await call(emu.url, "GET", `/api/render/proxy/lambda/${id}`, { token: s.token })).json as Record<string, unknown> & { data?: Record<string, unknown> };
      const view = answer.data ?? answer;
      return view.status === "completed" || view.status === "failed" ? view : undefined;
    });
    expect(body).toMatchObject({ status: "failed", error: expect.stringContaining("could not be made") });
  });
});
