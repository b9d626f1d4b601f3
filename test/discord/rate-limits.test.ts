import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDiscordOutbox } from "../../adapters/discord/outbox.js";
import { DEFAULT_DISCORD_LIMITS, DiscordPacing } from "../../adapters/discord/rate-limits.js";
import type { Outbox } from "../../src/chat/outbox.js";
import { RateLimitedError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { snowflake } from "../fakes/discord/snowflake.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { BOT_TOKEN, deferInFake, handleFor } from "./helpers.js";

/**
 * Discord's global limit (50 requests a second for the bot) kept across the bot's processes: two
 * outboxes on two Redis connections stand for the bot and a worker, against a fake that answers
 * 429 (X-RateLimit-Global) past the limit. @discordjs/rest keeps 50 a second per client by itself,
 * which two processes together exceed.
 */

let fake: FakeDiscord;
let connections: Redis[];
let prefix: string;
/** Many channels: @discordjs/rest sends to different channels in parallel (one route bucket each). */
const channels = Array.from({ length: 20 }, () => snowflake());
beforeEach(async () => {
  // This file is about the global limit: 120 answers in one channel would take two minutes of its bucket.
  fake = await startFakeDiscord({ guilds: [{ id: snowflake(), channels }], routeLimits: false });
  connections = [];
  prefix = uniquePrefix("dc-limits");
});
afterEach(async () => {
  await fake.close();
  for (const c of connections) c.disconnect();
});

function processOutbox(): Outbox {
  const redis = new Redis(testRedisUrl());
  connections.push(redis);
  const pacing = new DiscordPacing(new SharedRateLimiter(redis, silentLogger), DEFAULT_DISCORD_LIMITS, fake.applicationId, prefix, silentLogger);
  return createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 10_000, uploadTimeoutMs: 10_000, logger: silentLogger, pacing });
}

async function channelHandle(channelId = channels[0]) {
  const interaction = fake.runCommand({ name: "edit", userId: "200000000000000002", guildId: fake.guildId, ...(channelId ? { channelId } : {}) });
  await deferInFake(fake, interaction);
  // Past the interaction window: answers go to the channel with the bot's token.
  return handleFor(fake, interaction, { windowMs: 0 });
}

const refused = () => fake.store.requests.filter((r) => r.status === 429);

describe("Discord's global limit, shared by the bot's processes", () => {
  it("two processes together stay within 50 requests a second", async () => {
    const [bot, worker] = [processOutbox(), processOutbox()];
    const handles = await Promise.all(channels.map((c) => channelHandle(c)));
    const started = Date.now();
    await Promise.all(Array.from({ length: 130 }, (_, i) => (i % 2 ? bot : worker).sendText(handles[i % handles.length] ?? handles[0]!, `message ${i}`)));
    expect(refused()).toEqual([]);
    // 130 requests at 50 a second span 2.6 s at least (less the jitter of the first).
    expect(Date.now() - started).toBeGreaterThanOrEqual((129 * 1000) / 50 - 200);
  });

  it("a status edit gives way to a backlog of answers instead of queueing behind it", async () => {
    const [bot, worker] = [processOutbox(), processOutbox()];
    const to = await channelHandle();
    const ref = await worker.upsertStatus(to, undefined, "🎬 Rendering 10%");
    const answers = Promise.all(Array.from({ length: 120 }, (_, i) => bot.sendText(to, `answer ${i}`)));
    await fake.waitFor(() => fake.store.requests.filter((r) => r.method === "POST").length > 3 || undefined, 5000, "the answers to start");
    await expect(worker.upsertStatus(to, ref, "🎬 Rendering 40%")).rejects.toBeInstanceOf(RateLimitedError);
    await answers;
    await worker.upsertStatus(to, ref, "🎬 Rendering 60%");
    expect(refused()).toEqual([]);
  });
});
