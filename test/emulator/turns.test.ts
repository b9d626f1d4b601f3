import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { makeTestAudio, makeTestClip, makeTestImage } from "../helpers/media.js";
import {
  audioTrack,
  call,
  captionTrack,
  dataOf,
  fastEmulator,
  runSse,
  state,
  textOf,
  titleTrack,
  toolCalls,
  uploadFiles,
  user,
  videoTrack,
} from "./support.js";

describe("emulator: /run_sse turns", () => {
  let emu: Emulator;
  let dir: string;
  let clip: string;
  let tone: string;

  beforeAll(async () => {
    emu = await fastEmulator({ anonymousPerIpLimit: Infinity });
    dir = await mkdtemp(join(tmpdir(), "emu-turns-"));
    clip = await makeTestClip(dir, { seconds: 4, width: 320, height: 240, name: "beach.mp4" });
    tone = await makeTestAudio(dir, { seconds: 2, name: "my-song.m4a" });
  });
  afterAll(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function withClip(language = "en") {
    const u = await user(emu.url, language);
    expect((await uploadFiles(emu.url, u.token, u.sessionId, [clip])).status).toBe(200);
    return u;
  }

  it("streams ADK events: tool call, tool result, then the text, and ends by closing", async () => {
    const u = await withClip();
    const stream = await runSse(emu.url, u.token, u.sessionId, "cut to 3 seconds");
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.error).toBeUndefined();
    expect(stream.invalid).toEqual([]);
    expect(stream.heartbeats).toBeGreaterThan(0);
    for (const event of stream.events) {
      expect(event).toMatchObject({ author: "nemo_agent" });
      expect(event.invocationId).toMatch(/^e-/);
      expect(typeof event.id).toBe("string");
      expect(typeof event.timestamp).toBe("number");
    }
    expect(toolCalls(stream)).toEqual(["edit_multitrack"]);
    const kinds = stream.events.map((e) => Object.keys((e.content as { parts: object[] }).parts[0]!)[0]);
    expect(kinds).toEqual(["functionCall", "functionResponse", "text"]);
    expect(textOf(stream)).toContain("trimmed the video to 3 seconds");
    expect(textOf(stream)).toContain("click the Export button");
    // No end event: the last frame is the text.
    expect(stream.raw.trimEnd().endsWith("}")).toBe(true);
  });

  it("really edits the draft for English requests", async () => {
    const u = await withClip();
    const before = await state(emu.url, u.token, u.sessionId);
    expect(before.draft.d).toBe(4000);
    expect(before.draft.m.ratio).toBe("16:9");

    await runSse(emu.url, u.token, u.sessionId, 'Make it a 3-second clip for Reels and add the title "Summer Vibes"');
    const after = (await state(emu.url, u.token, u.sessionId)).draft;
    expect(after.d).toBe(3000);
    expect(videoTrack(after)!.sg[0]).toMatchObject({ n: "beach.mp4", s: 0, d: 3000, ss: 0 });
    expect(videoTrack(after)!.sg[0]!.src).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cdn\//);
    expect(after.m).toMatchObject({ ratio: "9:16", width: 1080, height: 1920, title: "Summer Vibes" });
    expect(titleTrack(after)!.sg[0]).toMatchObject({ txt: "Summer Vibes", s: 0 });

    await runSse(emu.url, u.token, u.sessionId, "add some lo-fi background music and captions: Hello! | Bye");
    const more = (await state(emu.url, u.token, u.sessionId)).draft;
    expect(captionTrack(more)!.sg.map((g) => [g.txt, g.s, g.d])).toEqual([
      ["Hello!", 0, 1500],
      ["Bye", 1500, 1500],
    ]);
    expect(audioTrack(more)!.sg[0]).toMatchObject({ n: "Lo-fi", s: 0, d: 3000, v: 0.35 });

    await runSse(emu.url, u.token, u.sessionId, "remove the captions and make it square");
    const last = (await state(emu.url, u.token, u.sessionId)).draft;
    expect(captionTrack(last)).toBeUndefined();
    expect(last.m.ratio).toBe("1:1");
  });

  it("uses an uploaded audio file as the background music", async () => {
    const u = await withClip();
    await uploadFiles(emu.url, u.token, u.sessionId, [tone]);
    await runSse(emu.url, u.token, u.sessionId, "add background music");
    const music = audioTrack((await state(emu.url, u.token, u.sessionId)).draft)!.sg[0]!;
    expect(music).toMatchObject({ n: "my-song.m4a", v: 0.35 });
    expect(music.src).toContain("/cdn/u/");
  });

  it("understands Chinese and answers in Chinese with the GUI phrase", async () => {
    const u = await withClip("zh-CN");
    const stream = await runSse(emu.url, u.token, u.sessionId, "剪到2秒，竖屏，加上标题“夏日时光”，再加字幕：你好");
    const text = textOf(stream);
    expect(text).toContain("点击导出按钮");
    expect(text).toContain("2秒");
    const draft = (await state(emu.url, u.token, u.sessionId)).draft;
    expect(draft.d).toBe(2000);
    expect(draft.m).toMatchObject({ ratio: "9:16", title: "夏日时光" });
    expect(captionTrack(draft)!.sg[0]!.txt).toBe("你好");
  });

  it("answers requests it does not understand politely and changes nothing", async () => {
    const u = await withClip();
    const before = await state(emu.url, u.token, u.sessionId);
    const stream = await runSse(emu.url, u.token, u.sessionId, "make the sky more purple please");
    expect(toolCalls(stream)).toEqual([]);
    expect(textOf(stream)).toMatch(/^Sorry, I can't do that/);
    expect((await state(emu.url, u.token, u.sessionId)).draft).toEqual(before.draft);
  });

  it("asks for media when an edit arrives before any upload", async () => {
    const u = await user(emu.url);
    const stream = await runSse(emu.url, u.token, u.sessionId, "cut to 10 seconds");
    expect(textOf(stream)).toContain("Upload a clip");
    expect((await state(emu.url, u.token, u.sessionId)).draft.t).toEqual([]);
  });

  it("generates a video from a description with generate_video_with_seedance", async () => {
    const u = await user(emu.url);
    const stream = await runSse(emu.url, u.token, u.sessionId, "generate a 6-second video of a sunset over the sea");
    expect(toolCalls(stream)).toEqual(["generate_video_with_seedance"]);
    const s = await state(emu.url, u.token, u.sessionId);
    expect(s.draft.d).toBe(6000);
    expect(videoTrack(s.draft)!.sg).toHaveLength(1);
    const generated = (s.raw.state as { generated_media: unknown[] }).generated_media;
    expect(generated).toHaveLength(1);
  });

  it("makes a video from uploaded photos with generate_video_with_seedance", async () => {
    const u = await user(emu.url);
    const photo = await makeTestImage(dir, { width: 300, height: 300 });
    await uploadFiles(emu.url, u.token, u.sessionId, [photo]);
    const stream = await runSse(emu.url, u.token, u.sessionId, "make a video from my photos");
    expect(toolCalls(stream)).toEqual(["generate_video_with_seedance"]);
    const call = stream.events.flatMap((e) => (e.content as { parts: Array<{ functionCall?: { args: { images: string[] } } }> }).parts)[0]!;
    expect(call.functionCall!.args.images).toHaveLength(1);
    expect(textOf(stream)).toContain("click the Export button");
  });

  it("freezes credits during a turn and charges 1-5 after it", async () => {
    const slow = await fastEmulator({ timing: { turnStepMs: 150 } });
    try {
      const u = await user(slow.url);
      await uploadFiles(slow.url, u.token, u.sessionId, [clip]);
      const turn = runSse(slow.url, u.token, u.sessionId, "cut to 2 seconds");
      await new Promise((r) => setTimeout(r, 100));
      const during = dataOf<{ available: number; frozen: number; total: number }>(await call(slow.url, "GET", "/api/credits/balance/simple", { token: u.token }));
      await turn;
      const after = dataOf<{ available: number; frozen: number; total: number }>(await call(slow.url, "GET", "/api/credits/balance/simple", { token: u.token }));
      expect(during.frozen).toBeGreaterThan(0);
      expect(during.total).toBe(100);
      expect(after.frozen).toBe(0);
      expect(100 - after.available).toBeGreaterThanOrEqual(1);
      expect(100 - after.available).toBeLessThanOrEqual(5);
    } finally {
      await slow.close();
    }
  });

  it("answers 2001 with a bind id when the user has no credits left", async () => {
    const poor = await fastEmulator({ startingCredits: 1 });
    try {
      const u = await user(poor.url);
      await runSse(poor.url, u.token, u.sessionId, "hello");
      const refused = await call(poor.url, "POST", "/run_sse", {
        token: u.token,
        body: { app_name: "nemo_agent", user_id: "me", session_id: u.sessionId, new_message: { parts: [{ text: "hello again" }] } },
      });
      expect(refused.status).toBe(200);
      expect(refused.json).toMatchObject({ code: 2001, data: { bind_id: expect.stringMatching(/^bind_/) } });
    } finally {
      await poor.close();
    }
  });

  it("answers an unknown session with HTTP 404 Session not found", async () => {
    const u = await user(emu.url);
    const stream = await runSse(emu.url, u.token, "1234567890123456789", "hello");
    expect(stream.status).toBe(404);
    expect(JSON.parse(stream.raw)).toEqual({ detail: "Session not found" });
    emu.dropSession(u.sessionId);
    expect((await runSse(emu.url, u.token, u.sessionId, "hello")).status).toBe(404);
  });

  it("answers 422 to a body that is not a message, and to one too large to be one", async () => {
    const u = await user(emu.url);
    expect((await call(emu.url, "POST", "/run_sse", { token: u.token, body: { hello: 1 } })).status).toBe(422);
    const huge = { session_id: u.sessionId, new_message: { parts: [{ text: "x".repeat(2 * 1024 * 1024) }] } };
    expect((await call(emu.url, "POST", "/run_sse", { token: u.token, body: huge })).status).toBe(422);
  });

  it("counts every message per session and text", async () => {
    const u = await user(emu.url);
    const total = emu.counters.runSseTotal();
    await runSse(emu.url, u.token, u.sessionId, "hello");
    await runSse(emu.url, u.token, u.sessionId, "hello");
    await runSse(emu.url, u.token, u.sessionId, "bye");
    expect(emu.counters.runSse(u.sessionId, "hello")).toBe(2);
    expect(emu.counters.runSse(u.sessionId, "bye")).toBe(1);
    expect(emu.counters.runSseTotal()).toBe(total + 3);
    expect(emu.session(u.sessionId)!.messages).toEqual(["hello", "hello", "bye"]);
    const snapshot = (await call(emu.url, "GET", "/__emulator/counters")).json as { runSse: Record<string, Record<string, number>> };
    expect(snapshot.runSse[u.sessionId]).toEqual({ hello: 2, bye: 1 });
  });

  it("finishes the edit even when the client goes away mid-turn", async () => {
    const slow = await fastEmulator({ timing: { turnStepMs: 80 } });
    try {
      const u = await user(slow.url);
      await uploadFiles(slow.url, u.token, u.sessionId, [clip]);
      const controller = new AbortController();
      const { request } = await import("undici");
      const res = await request(`${slow.url}/run_sse`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
        body: JSON.stringify({ session_id: u.sessionId, new_message: { parts: [{ text: "cut to 1 second" }] } }),
        signal: controller.signal,
      });
      expect(res.statusCode).toBe(200);
      controller.abort();
      await res.body.text().catch(() => undefined);
      const draft = await (await import("./support.js")).waitFor(async () => {
        const d = (await state(slow.url, u.token, u.sessionId)).draft;
        return d.d === 1000 ? d : undefined;
      });
      expect(draft.d).toBe(1000);
    } finally {
      await slow.close();
    }
  });
});
