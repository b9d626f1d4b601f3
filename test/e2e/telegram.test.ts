import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { killIfRunning } from "../app/support.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { connectTestRedis, keysUnder, onTestCluster, productPrefix, testRedisEnv, uniquePrefix } from "../helpers/redis.js";
import { cleanEnv, FAST_ENV, startEmulatorProcess, startMain, stopMain, whileRunning, type EmulatorProcess, type RunningProcess } from "./support.js";

/**
 * The Telegram bot as production runs it: `npm start`'s entry in its own process, configured only
 * by environment variables, long-polling the fake Bot API, with the NemoVideo emulator in a third
 * process. The fake answers like a server or proxy may, not only like our own code expects.
 */

const en = messages("en");
const escape = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
let dir: string;
let clip: string;
let emulator: EmulatorProcess;
let fake: FakeTelegram | undefined;
let bot: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "e2e-telegram-"));
  clip = await makeTestClip(dir, { seconds: 4 });
  emulator = await startEmulatorProcess();
});
afterEach(async () => {
  killIfRunning(bot);
  await fake?.close();
  bot = fake = undefined;
});
afterAll(async () => {
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("Telegram through the product's process", { timeout: 120_000 }, () => {
  it("starts although setMyCommands is refused without a description, answers a sticker, and sends back the edited MP4", async () => {
    fake = await startFakeTelegram();
    const redisEnv = testRedisEnv();
    const prefix = uniquePrefix("e2e-tg");
    // A proxy's answer, not the Bot API's own shape: HTTP 500 {"message": …}, no description.
    fake.failNext("setMyCommands", { errorCode: 500, body: { message: "Internal Server Error" }, times: 2 });
    const main = startMain(
      cleanEnv({
        ...FAST_ENV,
        LOG_LEVEL: "debug",
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.apiRoot,
        NEMO_API_BASE: emulator.url,
        ...redisEnv,
        QUEUE_PREFIX: prefix,
        EXPORT_DIR: join(dir, "exports"),
      }),
    );
    bot = main;
    const chatId = 9001;

    // A sticker has nothing the bot can use: it still gets an answer, saying what the bot takes.
    fake.userSends({ chatId, sticker: { bytes: Buffer.from("RIFFwebp"), mime: "image/webp" } });
    await whileRunning(main, fake.waitForMessage(chatId, escape(en.emptyHint), 60_000));
    expect(main.output()).toContain("telegram setMyCommands failed");

    fake.userSends({ chatId, caption: "cut it to 3 seconds", video: { path: clip, fileName: "clip.mp4" } });
    await whileRunning(main, fake.waitForMessage(chatId, escape(en.uploadDone({ names: ["clip.mp4"] })), 60_000));
    await whileRunning(main, fake.waitForMessage(chatId, /Done/, 60_000));

    // Telegram is busy when the export starts: its first message is refused (429, retry_after 2 s),
    // so the render's status gives way and the video is the chat's first word about it.
    fake.failNext("sendMessage", { chatId, retryAfter: 2 });
    fake.userSends({ chatId, text: "export" });
    const [video] = await whileRunning(main, fake.waitFor(() => (fake!.videosSent(chatId).length > 0 ? fake!.videosSent(chatId) : undefined), "the exported video", 60_000));
    expect(video?.method).toBe("sendVideo");
    expect(looksLikeMp4(video!.bytes)).toBe(true);
    // The export's status message, if one went out before the video, ends on its last word; one that
    // gave way to the video is never posted afterwards as a lone "✅ Your video is ready.".
    const exportStatuses = () => fake!.messages(chatId).filter((m) => m.from === "bot" && m.history.some((t) => /Preparing your export|Rendering your video|Your video is ready/.test(t)));
    await whileRunning(main, fake.waitFor(() => exportStatuses().every((m) => m.text === en.exportDone) || undefined, "the export's status on its last word", 20_000));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(exportStatuses().filter((m) => m.history[0] === en.exportDone)).toEqual([]);

    expect(main.output()).not.toContain(fake.token);
    expect(await stopMain(main)).toBe(0);

    // The bot kept its users, queues and rate limits where it was pointed: on a cluster, all under
    // the hash-tagged prefix, so every multi-key script above found its keys in one slot.
    const redis = connectTestRedis(redisEnv);
    try {
      const keys = await keysUnder(redis, productPrefix(redisEnv, prefix));
      expect(keys.some((k) => k.includes(":session-work:"))).toBe(true);
      expect(keys.some((k) => k.includes(":user:"))).toBe(true);
      if (onTestCluster()) expect(new Set(await Promise.all(keys.map((k) => redis.call("CLUSTER", "KEYSLOT", k)))).size).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
