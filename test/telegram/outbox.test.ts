import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAdapter, TelegramRateLimitedError, type TelegramAdapter } from "../../adapters/telegram/index.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { VideoFile } from "../../src/chat/outbox.js";
import { loadConfig } from "../../src/config.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import type { Redis } from "ioredis";
import { RateLimitedError } from "../../src/errors.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { captureLogger, expectWithinLimits, FAST_TUNING, limiterRedis } from "./harness.js";

/**
 * The outbox as a worker uses it: no Bot, no polling, only the Bot API. Telegram's limits run at
 * their real speed here (one message a second per chat), against a fake that enforces them.
 */
let dir: string;
let clip: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-outbox-"));
  clip = await makeTestClip(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fake: FakeTelegram;
let adapter: TelegramAdapter;
let logLines: string[];
let redis: Redis;
const REAL_TIME = { ...FAST_TUNING, rateLimits: { timeScale: 1 } };
const configFor = (f: FakeTelegram, extra: Record<string, string> = {}) =>
  loadConfig({ TELEGRAM_BOT_TOKEN: f.token, TELEGRAM_API_ROOT: f.apiRoot, QUEUE_PREFIX: uniquePrefix("tg-outbox"), ...extra });
beforeEach(async () => {
  fake = await startFakeTelegram();
  redis = limiterRedis(testRedisUrl());
  const captured = captureLogger();
  logLines = captured.lines;
  adapter = createTelegramAdapter(configFor(fake), { logger: captured.logger, skill: skillProfile("video-making-ai"), redis, tuning: REAL_TIME });
});
afterEach(async () => {
  await fake.close();
  redis.disconnect();
  expectWithinLimits(fake);
});

const chat = (chatId: number, data?: ReplyHandle["data"]): ReplyHandle => ({
  platform: "telegram",
  chatId: String(chatId),
  threadId: `telegram:${chatId}:`,
  chatKind: chatId > 0 ? "private" : "group",
  ...(data ? { data } : {}),
});

const clipVideo = (extra: Partial<VideoFile> = {}): VideoFile => ({
  open: () => createReadStream(clip),
  fileName: "result.mp4",
  size: statSync(clip).size,
  duration: 2,
  width: 320,
  height: 240,
  ...extra,
});

describe("texts", () => {
  it("splits a long text at Telegram's 4096 characters, on word boundaries, losing nothing", async () => {
    const words = Array.from({ length: 1800 }, (_, i) => `word${i}`);
    const text = words.join(" ");
    const ref = await adapter.outbox.sendText(chat(11), text);
    const sent = fake.messages(11);
    expect(sent.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 4096));
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(text.length / 4096) + 1);
    for (const m of sent) expect(m.text.length).toBeLessThanOrEqual(4096);
    expect(sent.map((m) => m.text).join(" ")).toBe(text);
    expect(ref.messageId).toBe(String(sent.at(-1)?.messageId));
  });

  it("puts the buttons under the last part, each carrying its intent", async () => {
    await adapter.outbox.sendText(chat(12), "x ".repeat(3000), {
      buttons: [
        { intent: "export", label: "Export" },
        { intent: "timeline", label: "Timeline" },
        { intent: "credits", label: "Credits" },
      ],
    });
    const [first, second] = fake.messages(12);
    expect(first?.replyMarkup).toBeUndefined();
    expect(second?.replyMarkup).toEqual({
      inline_keyboard: [
        [
          { text: "Export", callback_data: "nemo:export" },
          { text: "Timeline", callback_data: "nemo:timeline" },
          { text: "Credits", callback_data: "nemo:credits" },
        ],
      ],
    });
  });

  it("answers in a group as a reply to the user's message", async () => {
    await adapter.outbox.sendText(chat(-13, { replyToMessageId: 5 }), "hi");
    expect(fake.messages(-13)[0]?.replyTo).toBe(5);
  });

  it("a link goes out with its text", async () => {
    await adapter.outbox.sendLink(chat(14), "Your video is ready:", "https://cdn.example.test/v.mp4");
    expect(fake.messages(14)[0]?.text).toBe("Your video is ready:\nhttps://cdn.example.test/v.mp4");
  });
});

describe("the status message", () => {
  it("is one message edited in place", async () => {
    const first = await adapter.outbox.upsertStatus(chat(21), undefined, "⏳ Uploading…");
    const second = await adapter.outbox.upsertStatus(chat(21), first, "🤔 Thinking…");
    const third = await adapter.outbox.upsertStatus(chat(21), second, "✅ Done");
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    const messages = fake.messages(21);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.history).toEqual(["⏳ Uploading…", "🤔 Thinking…", "✅ Done"]);
  });

  it("the same words again is not an error", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(22), undefined, "🤔 Thinking…");
    await expect(adapter.outbox.upsertStatus(chat(22), ref, "🤔 Thinking…")).resolves.toEqual(ref);
    expect(fake.calls("editMessageText")).toHaveLength(1);
    expect(fake.messages(22)).toHaveLength(1);
  });

  it("is posted anew when the old one was deleted", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(23), undefined, "⏳ 10%");
    expect(await adapter.outbox.deleteMessage?.(chat(23), ref.messageId)).toBe(true);
    const next = await adapter.outbox.upsertStatus(chat(23), ref, "⏳ 50%");
    expect(next.messageId).not.toBe(ref.messageId);
    expect(fake.find(23, Number(next.messageId))?.text).toBe("⏳ 50%");
  });

  it("a 429 on an edit pauses the chat for retry_after: the edit is handed back, and nothing goes to the chat before then", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(24), undefined, "⏳ 10%");
    fake.failNext("editMessageText", { retryAfter: 2 });
    const refused = await adapter.outbox.upsertStatus(chat(24), ref, "⏳ 60%").catch((e: unknown) => e);
    // The status lane never waits out a 429 itself: its caller keeps the text and tries later.
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBe(2000);
    // An answer to the same chat waits out the pause (the limiter holds it, Telegram sees nothing early).
    await adapter.outbox.sendText(chat(24), "credits: 100");
    const [editAt] = fake.calls("editMessageText").map((c) => c.at);
    const answerAt = fake.calls("sendMessage").at(-1)?.at ?? 0;
    expect(answerAt - (editAt ?? 0)).toBeGreaterThanOrEqual(1950);
  });

  it("a progress figure goes only when a slot is free at once; a status edit waits for the chat's next second", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(26), undefined, "🎬 Rendering 10%");
    // The chat's next slot is a second away: too far for a figure the next poll repeats...
    await expect(adapter.outbox.upsertStatus(chat(26), ref, "🎬 Rendering 40%", { droppable: true })).rejects.toBeInstanceOf(RateLimitedError);
    // ...but near enough for a status edit, which waits for it.
    await adapter.outbox.upsertStatus(chat(26), ref, "📤 Delivering…");
    expect(fake.messages(26)[0]?.history).toEqual(["🎬 Rendering 10%", "📤 Delivering…"]);
  });

  it("a status edit is refused, not queued, while its chat is paused for long", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(25), undefined, "⏳ 10%");
    fake.failNext("editMessageText", { retryAfter: 30 });
    await expect(adapter.outbox.upsertStatus(chat(25), ref, "⏳ 20%")).rejects.toMatchObject({ code: "rate_limited", retryAfterMs: 30_000 });
    // The next edit is turned away by the bot's own limiter: Telegram never sees it.
    await expect(adapter.outbox.upsertStatus(chat(25), ref, "⏳ 30%")).rejects.toBeInstanceOf(RateLimitedError);
    expect(fake.calls("editMessageText")).toHaveLength(1);
    expect(logLines.join("\n")).toMatch(/telegram answered 429: pausing/);
  });

  it("a droppable new status (a place in line) is refused while its chat is paused, rather than queued ahead of answers", async () => {
    const ref = await adapter.outbox.upsertStatus(chat(27), undefined, "⏳ 10%");
    fake.failNext("editMessageText", { retryAfter: 30 });
    await expect(adapter.outbox.upsertStatus(chat(27), ref, "⏳ 20%")).rejects.toBeInstanceOf(RateLimitedError);
    const sentBefore = fake.calls("sendMessage").length;
    await expect(adapter.outbox.upsertStatus(chat(27), undefined, "⏳ Queued: you're next", { droppable: true })).rejects.toBeInstanceOf(RateLimitedError);
    expect(fake.calls("sendMessage")).toHaveLength(sentBefore);
  }, 10_000);
});

describe("texts under flood control", () => {
  it("a 429 with retry_after is honoured, then the text goes out once", async () => {
    fake.failNext("sendMessage", { retryAfter: 2 });
    await adapter.outbox.sendText(chat(31), "credits: 100");
    const calls = fake.calls("sendMessage");
    expect(calls).toHaveLength(2);
    // Longer than the chat's own one-second pacing: the pause is what held it.
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1950);
    expect(fake.messages(31).map((m) => m.text)).toEqual(["credits: 100"]);
  });
});

describe("videos", () => {
  it("sendVideo uploads the bytes with streaming, duration and size fields", async () => {
    const ref = await adapter.outbox.sendVideo(chat(41), clipVideo({ caption: "Here it is" }), { buttons: [{ intent: "timeline", label: "Timeline" }] });
    const [video] = fake.videosSent(41);
    expect(video?.method).toBe("sendVideo");
    expect(String(video?.messageId)).toBe(ref.messageId);
    expect(video?.fields).toMatchObject({ supports_streaming: "true", duration: "2", width: "320", height: "240", caption: "Here it is", chat_id: "41" });
    expect(JSON.parse(video?.fields.reply_markup ?? "{}")).toEqual({ inline_keyboard: [[{ text: "Timeline", callback_data: "nemo:timeline" }]] });
    expect(video?.fileName).toBe("result.mp4");
    expect(Buffer.compare(video?.bytes ?? Buffer.alloc(0), readFileSync(clip))).toBe(0);
    expect(looksLikeMp4(video?.bytes ?? new Uint8Array())).toBe(true);
    // "uploading video…" is shown while the upload runs.
    expect(fake.calls("sendChatAction").some((c) => c.params.action === "upload_video")).toBe(true);
  });

  it("a caption past 1024 characters continues as text", async () => {
    const caption = "Lots to say. ".repeat(120).trim();
    await adapter.outbox.sendVideo(chat(42), clipVideo({ caption }));
    const videoCaption = fake.videosSent(42)[0]?.fields.caption ?? "";
    expect(videoCaption.length).toBeLessThanOrEqual(1024);
    const follow = fake.messages(42).filter((m) => m.kind === "text").map((m) => m.text);
    expect(follow).toHaveLength(1);
    expect(`${videoCaption} ${follow.join(" ")}`).toBe(caption);
  });

  it("a small video is sent once more after a 429, when retry_after has passed", async () => {
    const small = Buffer.from(readFileSync(clip).subarray(0, 30_000));
    fake.failNext("sendVideo", { retryAfter: 2 });
    await adapter.outbox.sendVideo(chat(43), { open: () => Readable.from([small]), fileName: "s.mp4", size: small.length });
    const calls = fake.calls("sendVideo");
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1950);
    expect(fake.videosSent(43)).toHaveLength(1);
    expect(fake.videosSent(43)[0]?.bytes.length).toBe(small.length);
  });

  it("a large video is never uploaded a second time on a 429: the caller is told when to try", async () => {
    fake.failNext("sendVideo", { retryAfter: 1 });
    const error = await adapter.outbox.sendVideo(chat(44), clipVideo({ size: 40 * 1024 * 1024 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramRateLimitedError);
    expect((error as TelegramRateLimitedError).retryAfterMs).toBe(1000);
    expect(fake.calls("sendVideo")).toHaveLength(1);
    expect(fake.videosSent(44)).toHaveLength(0);
  });

  it("knows the largest video each Bot API server takes", async () => {
    expect(adapter.outbox.maxVideoBytes(chat(45))).toBe(50 * 1024 * 1024);
    const local = createTelegramAdapter(configFor(fake, { TELEGRAM_LOCAL_API: "1" }), { logger: captureLogger().logger, skill: skillProfile("video-making-ai"), redis });
    expect(local.outbox.maxVideoBytes(chat(45))).toBe(2000 * 1024 * 1024);
  });
});

describe("pictures", () => {
  const timelinePng = async () => {
    const { readDraft } = await import("../../src/nemo/draft.js");
    const { pictureWords, renderTimelinePicture } = await import("../../src/present/timeline-picture/index.js");
    const { beachDraft } = await import("../present/drafts.js");
    const picture = await renderTimelinePicture(readDraft(beachDraft)!, { words: pictureWords("en") });
    return { bytes: picture!.png, fileName: "timeline.png", width: picture!.width, height: picture!.height };
  };

  it("sendPhoto uploads the PNG with its caption and buttons, as a reply in a group", async () => {
    const photo = await timelinePng();
    const ref = await adapter.outbox.sendPhoto(chat(-61, { replyToMessageId: 7 }), { ...photo, caption: "Timeline (4 tracks):" }, { buttons: [{ intent: "timeline", label: "🔄 Refresh" }] });
    const [sent] = fake.photosSent(-61);
    expect(sent).toMatchObject({ method: "sendPhoto", messageId: Number(ref.messageId), width: photo.width, height: photo.height, fileName: "timeline.png" });
    expect(Buffer.compare(sent!.bytes, photo.bytes)).toBe(0);
    const message = fake.find(-61, Number(ref.messageId));
    expect(message).toMatchObject({ kind: "photo", text: "Timeline (4 tracks):", replyTo: 7 });
    expect(message?.replyMarkup).toEqual({ inline_keyboard: [[{ text: "🔄 Refresh", callback_data: "nemo:timeline" }]] });
  });

  it("a caption past 1024 characters continues as text", async () => {
    const caption = "Track line. ".repeat(120).trim();
    await adapter.outbox.sendPhoto(chat(62), { ...(await timelinePng()), caption });
    const photoCaption = fake.messages(62).find((m) => m.kind === "photo")?.text ?? "";
    expect(photoCaption.length).toBeLessThanOrEqual(1024);
    const follow = fake.messages(62).filter((m) => m.kind === "text").map((m) => m.text);
    expect(`${photoCaption} ${follow.join(" ")}`).toBe(caption);
  });

  it("replaces an earlier picture in place (editMessageMedia), caption and buttons too", async () => {
    const first = await adapter.outbox.sendPhoto(chat(63), { ...(await timelinePng()), caption: "before" });
    const again = await adapter.outbox.sendPhoto(chat(63), { ...(await timelinePng()), caption: "after" }, { replace: first, buttons: [{ intent: "export", label: "Export" }] });
    expect(again).toEqual(first);
    expect(fake.photosSent(63).map((p) => p.method)).toEqual(["sendPhoto", "editMessageMedia"]);
    expect(fake.messages(63)).toHaveLength(1);
    expect(fake.find(63, Number(first.messageId))).toMatchObject({ text: "after", history: ["before", "after"] });
    expect(JSON.stringify(fake.find(63, Number(first.messageId))?.replyMarkup)).toContain("nemo:export");
  });

  it("sends a new picture when the one to replace is gone or is no picture", async () => {
    const text = await adapter.outbox.sendText(chat(64), "a text message");
    const ref = await adapter.outbox.sendPhoto(chat(64), { ...(await timelinePng()), caption: "new" }, { replace: text });
    expect(ref.messageId).not.toBe(text.messageId);
    expect(fake.photosSent(64).map((p) => p.method)).toEqual(["sendPhoto"]);
    const gone = await adapter.outbox.sendPhoto(chat(64), { ...(await timelinePng()), caption: "newer" }, { replace: { messageId: "999999" } });
    expect(fake.find(64, Number(gone.messageId))?.text).toBe("newer");
    expect(fake.photosSent(64).map((p) => p.method)).toEqual(["sendPhoto", "sendPhoto"]);
  });
});

describe("deleting and activity", () => {
  it("deletes a user's message (one that held a token) and says when it could not", async () => {
    const { messageId } = fake.userSends({ chatId: 51, text: "/token nmv_usr_abc" });
    expect(await adapter.outbox.deleteMessage?.(chat(51), String(messageId))).toBe(true);
    expect(fake.find(51, messageId)?.deleted).toBe(true);
    expect(await adapter.outbox.deleteMessage?.(chat(51), String(messageId))).toBe(false);
  });

  it("shows typing", async () => {
    await adapter.outbox.showActivity?.(chat(52), "typing");
    expect(fake.calls("sendChatAction")[0]?.params).toMatchObject({ chat_id: 52, action: "typing" });
  });
});

describe("opening a Telegram file", () => {
  it("streams the bytes through getFile and the file URL, without the URL ever leaving", async () => {
    const { message } = fake.userSends({ chatId: 61, video: { path: clip } });
    const fileId = (message.video as { file_id: string }).file_id;
    const stream = await adapter.openAttachment({ type: "platform-file", platform: "telegram", fileId });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.compare(Buffer.concat(chunks), readFileSync(clip))).toBe(0);
    expect(fake.calls("file")).toHaveLength(1);
    expect(logLines.join("\n")).not.toContain(fake.token);
  });

  it("a file over the cloud limit fails with a code, and the error holds no URL or token", async () => {
    const { message } = fake.userSends({ chatId: 62, video: { bytes: Buffer.from("x"), size: 30 * 1024 * 1024 } });
    const fileId = (message.video as { file_id: string }).file_id;
    const error = await adapter.openAttachment({ type: "platform-file", platform: "telegram", fileId }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "file_too_big_for_cloud" });
    expect(String((error as Error).message)).not.toContain(fake.token);
  });

  it("reads straight from the shared volume with a local Bot API server", async () => {
    const local = await startFakeTelegram({ local: true });
    try {
      const a = createTelegramAdapter(configFor(local, { TELEGRAM_LOCAL_API: "1" }), { logger: captureLogger().logger, skill: skillProfile("video-making-ai"), redis });
      const bytes = Buffer.from("local bytes");
      const { message } = local.userSends({ chatId: 63, document: { bytes, fileName: "a.mp4", mime: "video/mp4" } });
      const fileId = (message.document as { file_id: string }).file_id;
      const stream = await a.openAttachment({ type: "platform-file", platform: "telegram", fileId });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("local bytes");
      // No HTTP download: the path was absolute on a disk both can read.
      expect(local.calls("file")).toHaveLength(0);
    } finally {
      await local.close();
    }
  });

  it("refuses sources that are not Telegram files", async () => {
    await expect(adapter.openAttachment({ type: "public-url", url: "https://x.test/a.mp4" })).rejects.toMatchObject({ code: "unsupported_source" });
  });
});

describe("what the outbox lets out: the shared error codes, never the Bot API's", () => {
  it("a blocked bot is forbidden, a vanished chat is gone, anything else a refusal; the token never shows", async () => {
    fake.failNext("sendMessage", { errorCode: 403, description: "Forbidden: bot was blocked by the user" });
    const blocked = adapter.outbox.sendText(chat(301), "hello");
    await expect(blocked).rejects.toMatchObject({ code: "forbidden" });
    fake.failNext("sendMessage", { errorCode: 400, description: "Bad Request: chat not found" });
    await expect(adapter.outbox.sendText(chat(302), "hello")).rejects.toMatchObject({ code: "target_gone" });
    // An error page with no description at all (some proxies answer so) is still a plain refusal.
    fake.failNext("sendMessage", { errorCode: 500, body: { message: "upstream broke" } });
    const refused = await adapter.outbox.sendText(chat(303), "hello").catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "platform_refused" });
    expect(String((refused as Error).message)).not.toContain(fake.token);
  });
});
