import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAdapter } from "../../adapters/telegram/index.js";
import { startApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startFakeTelegram, type FakeMessage, type FakeTelegram } from "../fakes/telegram/server.js";
import type { Redis } from "ioredis";
import { captureLogger, expectWithinLimits, FAST_TUNING, limiterRedis } from "./harness.js";
import { FAST_E2E_ENV, TELEGRAM_TIME_SCALE, TINY_TUNING } from "../helpers/tuning.js";
import { PNG } from "pngjs";
import { thumbnailJpeg } from "../present/drafts.js";

/**
 * The whole bot as a Telegram user meets it: the real grammY bot long-polling the fake Bot API,
 * the router, BullMQ workers on the test run's redis-server, and the NemoVideo emulator.
 */

const MB = 1024 * 1024;
let dir: string;
let clip: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-e2e-"));
  clip = await makeTestClip(dir, { seconds: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fake: FakeTelegram;
let emulator: Emulator;
let app: { close(): Promise<void> };
let logLines: string[];
let redis: Redis;

beforeEach(async () => {
  fake = await startFakeTelegram({ timeScale: TELEGRAM_TIME_SCALE });
  redis = limiterRedis(testRedisUrl());
  emulator = await startEmulator({
    anonymousPerIpLimit: Infinity,
    timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 },
  });
  const config = loadConfig({
    LOG_LEVEL: "debug",
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    NEMO_API_BASE: emulator.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: uniquePrefix("tg-e2e"),
    TOKEN_KEY: "11".repeat(32),
    EXPORT_DIR: join(dir, "exports"),
    ...FAST_E2E_ENV,
  });
  const captured = captureLogger();
  logLines = captured.lines;
  const telegram = createTelegramAdapter(config, { logger: captured.logger, skill: skillProfile(config.SKILL_PROFILE), redis, tuning: FAST_TUNING });
  app = await startApp({ config, logger: captured.logger, adapters: [telegram], workerTuning: TINY_TUNING });
});

afterEach(async () => {
  // Whatever happened in the test, the bot token never reached the log.
  expect(logLines.join("\n")).not.toContain(fake.token);
  await app.close();
  await emulator.close();
  await fake.close();
  redis.disconnect();
  expectWithinLimits(fake);
});

/** The bot's message that carries an Export button, newest first. */
function withExportButton(chatId: number): FakeMessage | undefined {
  return [...fake.messages(chatId)].reverse().find((m) => JSON.stringify(m.replyMarkup ?? {}).includes("nemo:export"));
}

/**
 * An export's status message, whichever words it began with: the render posts it in its chat's turn,
 * so a busy chat (its one message a second just taken by the upload's answer) may first see it at
 * "Rendering…", or only with the last word after the video.
 */
const EXPORT_STATUS = /Preparing your export|Rendering your video|Your video is ready/;
describe("a creator in a private chat", () => {
  it("sends a clip with a request, watches one status message progress, presses Export and gets the MP4", async () => {
    const chat = 9001;
    fake.userSends({ chatId: chat, caption: "cut to 30 seconds and format it for Reels", video: { path: clip, duration: 2, width: 320, height: 240 } });

    // The edit's reply, with the quick buttons under it.
    const reply = await fake.waitFor(() => {
      const m = withExportButton(chat);
      return m && /changed|Done/i.test(m.text) ? m : undefined;
    }, "the edit's reply with an Export button", 20_000);
    // The turn's progress is ONE status message edited in place, not a stream of messages.
    const thinking = fake.messages(chat).filter((m) => m.history.some((t) => /Thinking/.test(t)));
    expect(thinking).toHaveLength(1);
    expect(thinking[0]?.history.length).toBeGreaterThanOrEqual(2);
    expect(thinking[0]?.messageId).toBeLessThan(reply.messageId);

    fake.pressButton(chat, reply.messageId, "nemo:export");
    const video = await fake.waitFor(() => fake.videosSent(chat)[0], "the exported video", 20_000);
    expect(video.method).toBe("sendVideo");
    expect(looksLikeMp4(video.bytes)).toBe(true);
    expect(video.fields.supports_streaming).toBe("true");
    // Each export reports through one status message edited in place, and delivers its video once.
    // (The editor's "click Export when you're happy" points at the button; it renders nothing itself.)
    const exports = () =>
      fake.messages(chat).filter((m) => m.history.some((t) => EXPORT_STATUS.test(t)) && !m.history.some((t) => /already being rendered/.test(t)));
    await fake.waitFor(() => fake.videosSent(chat).length >= exports().length, "every export delivered", 20_000);
    expect(exports().length).toBeLessThanOrEqual(1);
    // A status message that went out ends on its final word (edited after the video is posted). A
    // quick render may skip "Preparing" and "Rendering" (progress gives way when the chat's pacing
    // has no slot free at once): then the video is the chat's first word, and no "ready" follows it.
    await fake.waitFor(() => exports().every((status) => status.history.some((t) => /Your video is ready/.test(t))) || undefined, "every export's status to end on its final word", 20_000);
    for (const sent of fake.videosSent(chat)) expect(looksLikeMp4(sent.bytes)).toBe(true);
    expect(fake.videosSent(chat)).toHaveLength(1);
    // The button press was answered so the user's button stops spinning.
    expect(fake.calls("answerCallbackQuery")).toHaveLength(1);

    // The bot token and Telegram file URLs never reached the backend or the log.
    const log = logLines.join("\n");
    expect(log).not.toContain(fake.token);
    // The clip reached the backend as bytes (a multipart upload), never as a Telegram file URL.
    expect(emulator.counters.requests("upload")).toBeGreaterThanOrEqual(1);
  });

  it("an album becomes one upload of every file", async () => {
    fake.userSends({ chatId: 9011, mediaGroupId: "trip", caption: "make one video of these", video: { path: clip, fileName: "a.mp4" } });
    fake.userSends({ chatId: 9011, mediaGroupId: "trip", video: { path: clip, fileName: "b.mp4" } });
    const added = await fake.waitForMessage(9011, /Added to your project/, 20_000);
    expect(added.text).toMatch(/a\.mp4/);
    expect(added.text).toMatch(/b\.mp4/);
    expect(fake.messages(9011).filter((m) => /Added to your project/.test(m.text))).toHaveLength(1);
  });

  it("asks for credits in English and 余额 in Chinese", async () => {
    fake.userSends({ chatId: 9002, text: "credits" });
    await fake.waitForMessage(9002, /Credits: \d+ available/);
    fake.userSends({ chatId: 9003, text: "余额", languageCode: "zh-hans" });
    await fake.waitForMessage(9003, /积分/);
  });

  it("/timeline is a picture with the clip's Telegram thumbnail on it; Refresh redraws it in place", async () => {
    const chat = 9021;
    fake.userSends({ chatId: chat, video: { path: clip, fileName: "beach.mp4", thumbnail: thumbnailJpeg("#ff0000", "#ff0000") } });
    await fake.waitFor(() => withExportButton(chat), "the upload's answer", 20_000);
    fake.userSends({ chatId: chat, text: "/timeline" });
    const sent = await fake.waitFor(() => fake.photosSent(chat)[0], "the timeline picture", 20_000);
    expect(sent.method).toBe("sendPhoto");
    const message = fake.find(chat, sent.messageId);
    // The text summary is the caption; Export and Refresh under it.
    expect(message?.text).toMatch(/Timeline \(1 track\):\n1\. Video: beach\.mp4/);
    expect(JSON.stringify(message?.replyMarkup)).toContain("nemo:timeline-refresh");
    // The thumbnail Telegram sent with the video (solid red) is drawn on the clip's block.
    const png = PNG.sync.read(sent.bytes);
    let red = 0;
    for (let i = 0; i < png.data.length; i += 4) if ((png.data[i] ?? 0) > 200 && (png.data[i + 1] ?? 0) < 60 && (png.data[i + 2] ?? 0) < 60) red++;
    expect(red).toBeGreaterThan(1000);

    fake.pressButton(chat, sent.messageId, "nemo:timeline-refresh");
    const refreshed = await fake.waitFor(() => fake.photosSent(chat)[1], "the refreshed picture", 20_000);
    // Swapped into the same message (editMessageMedia), not posted again.
    expect(refreshed).toMatchObject({ method: "editMessageMedia", messageId: sent.messageId });
    expect(fake.messages(chat).filter((m) => m.kind === "photo")).toHaveLength(1);
    expect(fake.find(chat, sent.messageId)?.history).toHaveLength(2);
    // The plain Timeline button (as under an edit's "what changed") posts a new picture, keeping that message.
    fake.pressButton(chat, sent.messageId, "nemo:timeline");
    const another = await fake.waitFor(() => fake.photosSent(chat)[2], "a new picture", 20_000);
    expect(another.method).toBe("sendPhoto");
    expect(another.messageId).not.toBe(sent.messageId);
  });

  it("status shows the timeline; 导出 exports the video", async () => {
    const chat = 9004;
    fake.userSends({ chatId: chat, languageCode: "zh-CN", video: { path: clip } });
    await fake.waitFor(() => withExportButton(chat), "the upload's answer", 20_000);
    fake.userSends({ chatId: chat, languageCode: "zh-CN", text: "status" });
    await fake.waitForMessage(chat, /时间线|Timeline/);
    fake.userSends({ chatId: chat, languageCode: "zh-CN", text: "导出" });
    const video = await fake.waitFor(() => fake.videosSent(chat)[0], "the exported video", 20_000);
    expect(looksLikeMp4(video.bytes)).toBe(true);
  });

  it("a file over 20 MB is refused before any download, with how to trim it", async () => {
    fake.userSends({ chatId: 9005, caption: "make a reel", video: { bytes: Buffer.from("x"), size: 45 * MB } });
    await fake.waitForMessage(9005, /20 MB/);
    fake.userSends({ chatId: 9005, video: { bytes: Buffer.from("x"), size: 900 * MB } });
    await fake.waitForMessage(9005, /too large/);
    expect(fake.calls("getFile")).toHaveLength(0);
    expect(emulator.counters.requests("upload")).toBe(0);
  });

  it.each([
    ["en", "file", 502, /beach\.mp4 did not arrive[\s\S]*send it again/, /did not apply “cut it to 3 seconds”[\s\S]*Send the file again/],
    ["zh-CN", "getFile", 400, /没有收到 beach\.mp4[\s\S]*重新发送/, /没有执行“cut it to 3 seconds”[\s\S]*重新发送/],
  ] as const)("%s: when the clip's %s call fails, its caption is not run and the user is told to send it again", async (language, method, errorCode, notArrived, notRun) => {
    const chat = language === "en" ? 9031 : 9032;
    // Every try fails, however many the opener makes.
    fake.failNext(method, { times: 10, errorCode, description: errorCode === 400 ? "Bad Request: wrong file_id or the file is temporarily unavailable" : "Bad Gateway" });
    fake.userSends({ chatId: chat, languageCode: language, caption: "cut it to 3 seconds", video: { path: clip, fileName: "beach.mp4" } });
    const fromBot = (pattern: RegExp) => fake.messages(chat).find((m) => m.from === "bot" && pattern.test(m.text));
    await fake.waitFor(() => fromBot(notArrived), "the file did not arrive", 20_000);
    await fake.waitFor(() => fromBot(notRun), "the caption was not run", 20_000);
    expect(fake.calls(method).length).toBeGreaterThanOrEqual(1);
    // Nothing of the caption reached the editor, and nothing claims it was done.
    expect(emulator.counters.requests("run-sse")).toBe(0);
    const bot = fake.messages(chat).filter((m) => m.from === "bot");
    expect(bot.filter((m) => m.history.some((t) => /Done|applied|Thinking|完成|已应用|思考/i.test(t)))).toEqual([]);
    // The upload's status ends on its final word.
    expect(bot.some((m) => /Stopped|已停止/.test(m.text))).toBe(true);
  });

  it("an unsupported file gets the formats list", async () => {
    fake.userSends({ chatId: 9006, document: { bytes: Buffer.from("%PDF-1.4"), fileName: "brief.pdf", mime: "application/pdf" } });
    await fake.waitForMessage(9006, /mp4, mov, avi, webm, mkv/);
    expect(emulator.counters.requests("upload")).toBe(0);
  });

  it("a 429 on the video itself: retry_after is waited out as a delayed step, the render is not downloaded again, and the video arrives once", async () => {
    const chat = 9008;
    fake.userSends({ chatId: chat, video: { path: clip } });
    await fake.waitFor(() => withExportButton(chat), "the upload's answer", 20_000);
    const downloads = emulator.counters.requests("download");
    // Longer than the outbox waits out by itself: it hands the wait to the job.
    fake.failNext("sendVideo", { retryAfter: 3 });
    fake.userSends({ chatId: chat, text: "/export" });
    const video = await fake.waitFor(() => fake.videosSent(chat)[0], "the exported video", 20_000);
    expect(looksLikeMp4(video.bytes)).toBe(true);
    const calls = fake.calls("sendVideo").filter((c) => String(c.params.chat_id) === String(chat));
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(2_950);
    expect(emulator.counters.requests("download") - downloads).toBe(1);
    expect(fake.videosSent(chat)).toHaveLength(1);
    // The export's status message ends on its final word, not mid-sentence. Under the 429's pause its
    // first words may have given way to the video: then there is none, and no "ready" after the video.
    await fake.waitFor(
      () => fake.messages(chat).filter((m) => m.history.some((t) => EXPORT_STATUS.test(t))).every((m) => /Your video is ready/.test(m.text)) || undefined,
      "the export's status, if one went out, to end on 'ready'",
      10_000,
    );
  });

  it("a 429 from Telegram is waited out (retry_after) and the answer still arrives once", async () => {
    fake.failNext("sendMessage", { retryAfter: 2 });
    fake.userSends({ chatId: 9007, text: "credits" });
    await fake.waitForMessage(9007, /Credits/);
    const calls = fake.calls("sendMessage").filter((c) => c.params.chat_id === 9007);
    expect(calls).toHaveLength(2);
    // retry_after is in the fake's scaled seconds; longer than the chat's own pacing (one interval).
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000 * TELEGRAM_TIME_SCALE - 10);
    expect(fake.messages(9007).filter((m) => /Credits/.test(m.text))).toHaveLength(1);
  });
});

describe("a personal token", () => {
  it("in a private chat is stored and the message holding it deleted", async () => {
    // A token the emulator really issued, as a user would copy it from their account.
    const issued = await fetch(`${emulator.url}/api/auth/anonymous-token`, { method: "POST", headers: { "X-Client-Id": "e2e-telegram-user" } });
    const userToken = ((await issued.json()) as { data: { token: string } }).data.token;
    const { messageId } = fake.userSends({ chatId: 9010, text: `/token ${userToken}` });
    await fake.waitForMessage(9010, /Saved/);
    expect(fake.find(9010, messageId)?.deleted).toBe(true);
    // A wrong token is refused, and its message is deleted all the same.
    const wrong = fake.userSends({ chatId: 9010, text: "/token nmv_usr_private_token_456" });
    await fake.waitForMessage(9010, /did not accept/);
    expect(fake.find(9010, wrong.messageId)?.deleted).toBe(true);
    const log = logLines.join("\n");
    expect(log).not.toContain(userToken);
    expect(log).not.toContain("nmv_usr_private_token_456");
  });
});

describe("in a group", () => {
  it("answers only when addressed", async () => {
    const group = -100900;
    fake.userSends({ chatId: group, chatType: "supergroup", text: "credits" });
    fake.userSends({ chatId: group, chatType: "supergroup", text: `@${fake.botUsername} credits` });
    const answer = await fake.waitForMessage(group, /Credits/);
    expect(fake.messages(group)).toHaveLength(1);
    expect(answer.replyTo).toBeDefined();
  });

  it("refuses /token and deletes the message that held it", async () => {
    const group = -100901;
    const { messageId } = fake.userSends({ chatId: group, chatType: "supergroup", text: "/token nmv_usr_do_not_share_123" });
    await fake.waitForMessage(group, /group/);
    expect(fake.find(group, messageId)?.deleted).toBe(true);
    expect(logLines.join("\n")).not.toContain("nmv_usr_do_not_share_123");
  });
});
