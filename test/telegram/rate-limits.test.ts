import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAdapter, type TelegramAdapter } from "../../adapters/telegram/index.js";
import { StatusMessage } from "../../jobs/status-message.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { Readable } from "node:stream";
import { RateLimitedError, SendSlotBusyError, SendSlotReservedError } from "../../src/errors.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { TELEGRAM_TIME_SCALE } from "../helpers/tuning.js";
import { captureLogger, expectWithinLimits, FAST_TUNING, limiterRedis } from "./harness.js";

/**
 * Telegram's limits kept by the bot itself, against a fake that answers 429 past them (at
 * TELEGRAM_TIME_SCALE: one message per 250 ms in a private chat, 750 ms in a group, 120 a second
 * for the bot). Two adapters on two Redis connections stand for the bot and a worker process.
 */

const tick = (periodMs: number) => periodMs * TELEGRAM_TIME_SCALE;
let fake: FakeTelegram;
let connections: Redis[];
let prefix: string;
let logged: ReturnType<typeof captureLogger>;

beforeEach(async () => {
  fake = await startFakeTelegram({ timeScale: TELEGRAM_TIME_SCALE });
  connections = [];
  prefix = uniquePrefix("tg-limits");
  logged = captureLogger();
});
afterEach(async () => {
  await fake.close();
  for (const c of connections) c.disconnect();
});

/** One process's Telegram adapter: its own Redis connection, the bot's shared key space. */
function processAdapter(timeScale = TELEGRAM_TIME_SCALE): TelegramAdapter {
  const redis = limiterRedis(testRedisUrl());
  connections.push(redis);
  const config = loadConfig({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, QUEUE_PREFIX: prefix });
  return createTelegramAdapter(config, { logger: logged.logger, skill: skillProfile("video-making-ai"), redis, tuning: { ...FAST_TUNING, rateLimits: { timeScale } } });
}

const chat = (chatId: number): ReplyHandle => ({ platform: "telegram", chatId: String(chatId), threadId: `telegram:${chatId}:`, chatKind: chatId > 0 ? "private" : "group" });
/** Resolves once the bot logged `count` lines matching `pattern` (it logs each 429 after pausing for it). */
async function logs(pattern: RegExp, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (logged.lines.filter((l) => pattern.test(l)).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} log lines matching ${pattern}:\n${logged.lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const sentAt = (chatId: number) => fake.calls("sendMessage").filter((c) => Number(c.params.chat_id) === chatId).map((c) => c.at);

describe("the bot's processes share Telegram's limits", () => {
  it("a private chat gets one message a second, whichever process sends", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(71), `answer ${i}`)));
    // Past the short burst Telegram allows a chat, even if each process paced only its own three.
    expectWithinLimits(fake);
    expect(fake.messages(71)).toHaveLength(6);
  });

  it("a group gets at most 20 messages a minute", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(-72), `answer ${i}`)));
    expectWithinLimits(fake);
    expect(fake.messages(-72)).toHaveLength(5);
  });

  it("the whole bot stays near 30 messages a second across many chats", async () => {
    // In real time: scaled, the bot-wide rate (300 a second) is more than this machine can send.
    await fake.close();
    fake = await startFakeTelegram();
    const [bot, worker] = [processAdapter(1), processAdapter(1)];
    await Promise.all(Array.from({ length: 75 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(1000 + i), "hello")));
    // Unpaced, 75 sends outrun the bot's 30 a second (and its one-second burst): the fake would refuse some.
    expectWithinLimits(fake);
    expect(fake.calls("sendMessage")).toHaveLength(75);
  });
});

describe("under pressure", () => {
  it("answers go first: a status edit is refused rather than queued behind them, and goes once they are out", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    const group = chat(-80);
    const ref = await worker.outbox.upsertStatus(group, undefined, "🎬 Rendering 10%");
    // Answers queued in the group (one per 3 s): a backlog far longer than a status edit may wait
    // (a second).
    const answers = Promise.all(Array.from({ length: 6 }, (_, i) => bot.outbox.sendText(group, `answer ${i}`)));
    await fake.waitFor(() => sentAt(-80).length > 0 || undefined, "the first answer");
    const refused = await worker.outbox.upsertStatus(group, ref, "🎬 Rendering 40%").catch((e: unknown) => e);
    await answers;
    expect(refused).toBeInstanceOf(RateLimitedError);
    // The job's status message keeps the text and shows it once the group has a slot for it.
    await new StatusMessage(worker.outbox, group, ref, { privateMs: 1, groupMs: 1 }, logged.logger).show("🎬 Rendering 60%");
    expectWithinLimits(fake);
    const edits = fake.calls("editMessageText");
    expect(edits).toHaveLength(1);
    expect(edits[0]?.at).toBeGreaterThanOrEqual(sentAt(-80).at(-1) ?? Infinity);
    expect(fake.messages(-80)[0]?.history).toEqual(["🎬 Rendering 10%", "🎬 Rendering 60%"]);
  });

  it("a video whose send slot is far off is refused, not slept on: the caller parks, and nothing reached Telegram", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    const group = chat(-82);
    // Answers queued in the group, one per 3 s (scaled): far longer than a video waits in a send (5 s, scaled).
    const answers = Promise.all(Array.from({ length: 4 }, (_, i) => bot.outbox.sendText(group, `answer ${i}`)));
    await fake.waitFor(() => sentAt(-82).length > 0 || undefined, "the first answer");
    const file = Readable.from([Buffer.from("not really a video")]);
    const started = Date.now();
    const refused = await worker.outbox.sendVideo(group, { open: () => file, fileName: "v.mp4", size: 18 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SendSlotBusyError);
    // Refused at once (a Redis round trip), not after sleeping through the queue.
    expect(Date.now() - started).toBeLessThan(tick(3_000));
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(file.destroyed).toBe(true);
    await answers;
    expect(fake.calls("sendVideo")).toHaveLength(0);
  });
});

describe("videos keep their place in line", () => {
  it("a video refused for a far slot has taken that slot: an answer queued after it goes after it, and the video goes on its slot when sent again", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    const group = chat(-84);
    const video = () => ({ open: () => Readable.from([Buffer.from("not really a video")]), fileName: "v.mp4", size: 18 });
    // Answers queued in the group, one per 3 s (scaled): the video's slot is further off than it waits in a send.
    const answers = Promise.all(Array.from({ length: 4 }, (_, i) => bot.outbox.sendText(group, `answer ${i}`)));
    await fake.waitFor(() => sentAt(-84).length > 0 || undefined, "the first answer");
    const refused = await worker.outbox.sendVideo(group, video()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SendSlotReservedError);
    // Another answer, asked for after the video: its slot comes after the video's.
    const late = bot.outbox.sendText(group, "asked after the video");
    // The delivery parks for `retryAfterMs` (a delayed step in a job), then posts again, claiming its slot.
    await new Promise((resolve) => setTimeout(resolve, (refused as RateLimitedError).retryAfterMs));
    await worker.outbox.sendVideo(group, video());
    await Promise.all([answers, late]);
    const videoAt = fake.calls("sendVideo")[0]?.at ?? Infinity;
    const lateAt = fake.calls("sendMessage").find((c) => c.params.text === "asked after the video")?.at ?? -Infinity;
    expect(fake.calls("sendVideo")).toHaveLength(1);
    expect(videoAt).toBeLessThan(lateAt);
    expect(videoAt).toBeGreaterThanOrEqual(sentAt(-84)[3] ?? Infinity);
    expectWithinLimits(fake);
  });
});

describe("a 429 pauses what it applies to", () => {
  it("one chat's 429 pauses that chat only, for retry_after, in every process", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    // Longer than the bot waits out itself: the answer is handed back, the pause stays.
    fake.failNext("sendMessage", { retryAfter: 8 });
    await expect(bot.outbox.sendText(chat(90), "one")).rejects.toMatchObject({ code: "rate_limited", retryAfterMs: 8000 });
    await worker.outbox.sendText(chat(91), "two");
    await worker.outbox.sendText(chat(90), "three");
    const [refusedAt, thirdAt] = sentAt(90);
    // Another chat was not held up by the pause: it went while chat 90 still waited.
    expect(sentAt(91)[0] ?? Infinity).toBeLessThan(thirdAt ?? 0);
    // The paused chat sent nothing, from either process, until retry_after had passed.
    expect((thirdAt ?? 0) - (refusedAt ?? 0)).toBeGreaterThanOrEqual(tick(8000) - 10);
    expect(logged.lines.join("\n")).not.toContain(fake.token);
  });

  it("429s in several chats at once pause the whole bot", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    fake.failNext("sendMessage", { times: 3, retryAfter: 2 });
    const first = Promise.all([92, 93, 94].map((c) => bot.outbox.sendText(chat(c), "hello")));
    await logs(/telegram answered 429: pausing/, 3);
    const lastRefusal = fake.calls("sendMessage")[2]?.at ?? 0;
    await worker.outbox.sendText(chat(95), "an unrelated chat");
    await first;
    expect((sentAt(95)[0] ?? 0) - lastRefusal).toBeGreaterThanOrEqual(tick(2000) - 10);
  });
});
