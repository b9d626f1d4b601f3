import { Readable } from "node:stream";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDiscordOutbox } from "../../adapters/discord/outbox.js";
import { DEFAULT_DISCORD_LIMITS, DiscordPacing } from "../../adapters/discord/rate-limits.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { Outbox, VideoFile } from "../../src/chat/outbox.js";
import { RateLimitedError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { slotWaitMs } from "../../jobs/delivery.js";
import { snowflake } from "../fakes/discord/snowflake.js";
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions, type FakeMessage } from "../fakes/discord/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { BOT_TOKEN, deferInFake, handleFor, sleep } from "./helpers.js";

/**
 * Under pressure a render's new status message and its last word give way to answers and videos on
 * Discord as on Telegram: refused (RateLimitedError, nothing sent) where an answer would wait, so a
 * video is not queued behind hundreds of them, then posted later, once, when the job tries again.
 * Pressure is the bot's global limit (50 requests a second, kept in Redis) or a channel's route
 * bucket (kept by @discordjs/rest from the fake's X-RateLimit headers).
 */

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;

async function start(options: FakeDiscordOptions): Promise<void> {
  fake = await startFakeDiscord(options);
}
beforeEach(() => {
  redis = new Redis(testRedisUrl());
  prefix = uniquePrefix("dc-give-way");
});
afterEach(async () => {
  await fake.close();
  redis.disconnect();
});

/** A worker process's outbox: the bot's global limit shared in Redis. */
function workerOutbox(): Outbox {
  const pacing = new DiscordPacing(new SharedRateLimiter(redis, silentLogger), DEFAULT_DISCORD_LIMITS, fake.applicationId, prefix, silentLogger);
  return createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 10_000, uploadTimeoutMs: 10_000, logger: silentLogger, pacing });
}

/** A chat whose interaction window has passed: everything goes to the channel with the bot's token. */
async function channelHandle(channelId: string, userId: string): Promise<ReplyHandle> {
  const interaction = fake.runCommand({ name: "export", userId, guildId: fake.guildId, channelId });
  await deferInFake(fake, interaction);
  return handleFor(fake, interaction, { windowMs: 0 });
}

const video = (name: string): VideoFile => {
  const bytes = Buffer.from(`not really an mp4: ${name}`);
  return { open: () => Readable.from([bytes]), fileName: name, size: bytes.length, caption: "🎬 your video" };
};

/** An export's last word as its job sends it: refused while the bot is busy, tried again after the wait the job parks for. */
async function statusUntilPosted(outbox: Outbox, to: ReplyHandle, text: string, refusals: { count: number }): Promise<void> {
  for (;;) {
    try {
      await outbox.upsertStatus(to, undefined, text, { yields: true });
      return;
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      refusals.count += 1;
      await sleep(slotWaitMs(error.retryAfterMs, 1_000));
    }
  }
}

/** Messages created before the one `isIt` picks (the fake keeps them in creation order) whose text starts with `prefix`. */
function postedBefore(isIt: (message: FakeMessage) => boolean, prefix: string): number {
  let count = 0;
  for (const message of fake.store.messages.values()) {
    if (isIt(message)) return count;
    if (message.content.startsWith(prefix)) count += 1;
  }
  throw new Error("the message waited for was never posted");
}

function expectEachOnce(prefix: string, n: number): void {
  const texts = [...fake.store.messages.values()].map((m) => m.content).filter((c) => c.startsWith(prefix));
  expect(texts.length).toBe(n);
  expect(new Set(texts).size).toBe(n);
}

describe("Discord: status messages give way to answers and videos", () => {
  it("a video is not queued behind the new status messages of 200 other chats (global limit)", async () => {
    // 40 channels for the others (five each: within their buckets) and one of my own.
    const channels = Array.from({ length: 41 }, () => snowflake());
    await start({ guilds: [{ id: snowflake(), channels }] });
    const outbox = workerOutbox();
    const chats = await Promise.all(Array.from({ length: 200 }, (_, i) => channelHandle(channels[1 + (i % 40)]!, `3000000000000${String(i).padStart(5, "0")}`)));
    const mine = await channelHandle(channels[0]!, "200000000000000002");
    await outbox.sendText(mine, "Rendering…");

    const refusals = { count: 0 };
    // 200 renders finish at once and post their last word anew; then one video is ready. At 50
    // requests a second the statuses alone fill four seconds of the bot's schedule.
    const statuses = chats.map((to, i) => statusUntilPosted(outbox, to, `✅ done ${i}`, refusals));
    await outbox.sendVideo(mine, video("mine.mp4"));
    await Promise.all(statuses);

    // About one second's worth of statuses (the wait a status accepts) went before the video, not all 200.
    expect(postedBefore((m) => m.files.some((f) => f.name === "mine.mp4"), "✅ done")).toBeLessThanOrEqual(60);
    expect(refusals.count).toBeGreaterThan(0);
    // Refused ones were tried again and posted, each once; the bot never went over Discord's limit.
    expectEachOnce("✅ done", 200);
    expect(fake.store.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it("a video waits for its channel's bucket ahead of the statuses that spent it, which come after", async () => {
    const channel = snowflake();
    // One bucket per route and channel: 5 messages a second here (Discord tells the numbers in headers).
    await start({ guilds: [{ id: snowflake(), channels: [channel] }], routeLimits: { limit: 5, resetAfterMs: 1_000 } });
    const outbox = workerOutbox();
    const chats = await Promise.all(Array.from({ length: 15 }, (_, i) => channelHandle(channel, `3000000000000${String(i).padStart(5, "0")}`)));
    const mine = await channelHandle(channel, "200000000000000002");
    // A running bot knows the route's bucket id (X-RateLimit-Bucket) from its first message there;
    // until then @discordjs/rest keys it by route, and a burst straddling that first answer is
    // counted in two queues.
    await outbox.sendText(mine, "Rendering…");
    await sleep(1_000);

    const refusals = { count: 0 };
    const statuses = chats.map((to, i) => statusUntilPosted(outbox, to, `✅ done ${i}`, refusals));
    await outbox.sendVideo(mine, video("mine.mp4"));
    await Promise.all(statuses);

    // The bucket's first window went to statuses; the video took the next one, not the fourth, and
    // it knew the bucket was spent (a post with files counts in the same bucket as one without).
    expect(postedBefore((m) => m.files.some((f) => f.name === "mine.mp4"), "✅ done")).toBeLessThanOrEqual(5);
    expect(refusals.count).toBeGreaterThan(0);
    expectEachOnce("✅ done", 15);
    expect(fake.store.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it("within the interaction's 15 minutes its webhook's own bucket is kept the same way, outside the global limit", async () => {
    await start({ routeLimits: { limit: 5, resetAfterMs: 1_000 } });
    const outbox = workerOutbox();
    const interaction = fake.runCommand({ name: "export", userId: "200000000000000002", guildId: fake.guildId });
    await deferInFake(fake, interaction);
    const to = handleFor(fake, interaction);
    // The deferred reply, then a follow-up: the bot has met both webhook routes' buckets.
    await outbox.sendText(to, "Exporting…");
    await outbox.sendText(to, "Rendering…");
    await sleep(1_000);

    // Five follow-ups spend the token's bucket; the status behind them gives way rather than wait for it.
    const answers = Promise.all(Array.from({ length: 5 }, (_, i) => outbox.sendText(to, `answer ${i}`)));
    const refused = await outbox.upsertStatus(to, undefined, "✅ done", { yields: true }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await answers;
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    await statusUntilPosted(outbox, to, "✅ done", { count: 0 });

    const replies = fake.repliesTo(interaction.id);
    expect(replies.map((m) => m.content)).toEqual(["Exporting…", "Rendering…", "answer 0", "answer 1", "answer 2", "answer 3", "answer 4", "✅ done"]);
    expect(replies.every((m) => m.via === "webhook")).toBe(true);
    expect(fake.store.requests.filter((r) => r.status === 429)).toEqual([]);
    // The webhook took no slot of the bot's global limit in Redis (Discord does not count it there).
    expect(await redis.keys(`${prefix}:ratelimit:discord:*`)).toEqual([]);
  });
});
