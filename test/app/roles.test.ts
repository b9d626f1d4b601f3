import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { startFakeTelegram, type FakeMessage, type FakeTelegram } from "../fakes/telegram/server.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { expectWithinLimits } from "../telegram/within-limits.js";
import { cleanEnv, FAST_ENV, killIfRunning, startMain, type RunningProcess } from "./support.js";

/**
 * Scaling out as an operator deploys it: `ROLE=bot` (Telegram polling and the router) and
 * `ROLE=worker` (the BullMQ workers) as separate processes that meet only in Redis. The worker posts
 * the video with the Telegram REST API alone, without polling.
 */

let dir: string;
let clip: string;
let fake: FakeTelegram;
let emulator: Emulator;
let bot: RunningProcess | undefined;
let worker: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "roles-"));
  clip = await makeTestClip(dir, { seconds: 2 });
  fake = await startFakeTelegram();
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 } });
});
afterEach(() => {
  killIfRunning(bot);
  killIfRunning(worker);
});
afterAll(async () => {
  await emulator.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function withExportButton(chatId: number, after: number): FakeMessage | undefined {
  return [...fake.messages(chatId)].reverse().find((m) => m.messageId > after && JSON.stringify(m.replyMarkup ?? {}).includes("nemo:export"));
}

describe("bot and worker roles in separate processes", () => {
  it("complete an upload, an edit and an export through one Redis, then stop cleanly on SIGTERM", async () => {
    const env = {
      ...FAST_ENV,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      NEMO_API_BASE: emulator.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: uniquePrefix("roles"),
      EXPORT_DIR: join(dir, "exports"),
    };
    bot = startMain(cleanEnv({ ...env, ROLE: "bot" }));
    worker = startMain(cleanEnv({ ...env, ROLE: "worker" }));
    const logs = () => `--- bot:\n${bot?.output() ?? ""}\n--- worker:\n${worker?.output() ?? ""}`;
    const chat = 8101;

    // The bot polls Telegram; the upload is queued and the worker answers.
    const upload = fake.userSends({ chatId: chat, video: { path: clip, duration: 2, width: 320, height: 240 } });
    const added = await fake.waitFor(() => withExportButton(chat, upload.messageId), "the upload's answer", 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${logs()}`);
    });
    expect(added.text).toMatch(/Added to your project/);

    const edit = fake.userSends({ chatId: chat, text: "cut it to 1 second" });
    await fake.waitFor(() => withExportButton(chat, edit.messageId), "the edit's answer", 30_000);

    const exportRequest = fake.userSends({ chatId: chat, text: "/export" });
    // Every export started ends with its video; asking for a version already rendering says so
    // instead of rendering it twice.
    // (An export's status may begin at "Rendering…", or there is none when the video comes first: the render posts it in its turn.)
    const started = () => fake.messages(chat).filter((m) => m.messageId > exportRequest.messageId && m.history.some((t) => /Preparing your export|Rendering your video|Your video is ready|already being rendered/.test(t)));
    const rendering = () => started().filter((m) => !m.history.some((t) => /already being rendered/.test(t)));
    await fake.waitFor(
      () => fake.videosSent(chat).length >= Math.max(1, rendering().length),
      "every export delivered",
      30_000,
    );
    const videos = fake.videosSent(chat);
    expect(videos.length).toBeGreaterThanOrEqual(1);
    for (const video of videos) expect(looksLikeMp4(video.bytes)).toBe(true);
    // The user's edit reached the backend's stream exactly once.
    expect(emulator.counters.runSseTotal()).toBe(1);

    // Graceful shutdown: both stop by themselves on SIGTERM, with exit code 0.
    bot.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    expect(await bot.exited(10_000), logs()).toBe(0);
    expect(await worker.exited(10_000), logs()).toBe(0);
    // A bot token in a process's output would end up in the operator's log collector.
    expect(logs()).not.toContain(fake.token);
    // Both processes kept to Telegram's limits together (they run with production pacing: one
    // message a second in this chat, hence the longer timeout).
    expectWithinLimits(fake);
  }, 60_000);
});
