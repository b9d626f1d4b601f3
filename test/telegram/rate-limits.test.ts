import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAdapter, type TelegramAdapter } from "../../adapters/telegram/index.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { RateLimitedError } from "../../src/errors.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { TELEGRAM_TIME_SCALE } from "../helpers/tuning.js";
import { captureLogger, expectWithinLimits, FAST_TUNING, limiterRedis } from "./harness.js";

/**
 * Telegram's limits kept by the bot itself, against a fake that answers 429 past them (at
 * TELEGRAM_TIME_SCALE: one message per 100 ms in a private chat, 300 ms in a group, 300 a second
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
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(71), `answer ${i}`)));
    expectWithinLimits(fake);
    const times = sentAt(71);
    expect(times).toHaveLength(8);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(7 * tick(1000) - 60);
  });

  it("a group gets at most 20 messages a minute", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(-72), `answer ${i}`)));
    expectWithinLimits(fake);
    const times = sentAt(-72);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(4 * tick(3000) - 60);
  });

  it("the whole bot stays near 30 messages a second across many chats", async () => {
    // In real time: scaled, the bot-wide rate (300 a second) is more than this machine can send.
    await fake.close();
    fake = await startFakeTelegram();
    const [bot, worker] = [processAdapter(1), processAdapter(1)];
    await Promise.all(Array.from({ length: 75 }, (_, i) => (i % 2 ? bot : worker).outbox.sendText(chat(1000 + i), "hello")));
    expectWithinLimits(fake);
    const times = fake.calls("sendMessage").map((c) => c.at);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual((74 * 1000) / 30 - 200);
  });
});

describe("under pressure", () => {
  it("answers go first: a status edit is refused rather than queued behind them, and goes once they are out", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    const ref = await worker.outbox.upsertStatus(chat(80), undefined, "🎬 Rendering 10%");
    // A backlog of answers (300 at 30 a second: ten seconds, scaled: one) far longer than a status
    // edit may wait (a second, scaled: 100 ms).
    const answers = Promise.all(Array.from({ length: 300 }, (_, i) => bot.outbox.sendText(chat(2000 + i), "credits: 100")));
    await fake.waitFor(() => fake.calls("sendMessage").length > 2 || undefined, "the answers to start");
    await expect(worker.outbox.upsertStatus(chat(80), ref, "🎬 Rendering 40%")).rejects.toBeInstanceOf(RateLimitedError);
    await answers;
    await worker.outbox.upsertStatus(chat(80), ref, "🎬 Rendering 60%");
    expectWithinLimits(fake);
    const edits = fake.calls("editMessageText");
    expect(edits).toHaveLength(1);
    expect(edits[0]?.at).toBeGreaterThanOrEqual(fake.calls("sendMessage").at(-1)?.at ?? Infinity);
    expect(fake.messages(80)[0]?.history).toEqual(["🎬 Rendering 10%", "🎬 Rendering 60%"]);
  });
});

describe("a 429 pauses what it applies to", () => {
  it("one chat's 429 pauses that chat only, for retry_after, in every process", async () => {
    const [bot, worker] = [processAdapter(), processAdapter()];
    fake.failNext("sendMessage", { retryAfter: 2 });
    const paused = bot.outbox.sendText(chat(90), "one");
    await logs(/telegram answered 429: pausing/, 1);
    await worker.outbox.sendText(chat(91), "two");
    await worker.outbox.sendText(chat(90), "three");
    await paused;
    const [refusedAt, retriedAt, thirdAt] = sentAt(90);
    // Another chat was not held up by the pause: it went while chat 90 still waited.
    expect(sentAt(91)[0] ?? Infinity).toBeLessThan(Math.min(retriedAt ?? 0, thirdAt ?? 0));
    // The paused chat sent nothing, from either process, until retry_after had passed.
    expect(Math.min(retriedAt ?? 0, thirdAt ?? 0) - (refusedAt ?? 0)).toBeGreaterThanOrEqual(tick(2000) - 10);
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
