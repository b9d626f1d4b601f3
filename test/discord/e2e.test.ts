import { Redis } from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../adapters/discord/index.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from "../fakes/discord/index.js";
import { BOT_TOKEN, capturingLogger } from "./helpers.js";
import { FAST_E2E_ENV, TINY_TUNING } from "../helpers/tuning.js";

/**
 * The whole bot as a Discord server meets it: a real discord.js Client on the fake gateway, the
 * router, BullMQ workers on the test run's redis-server, and the NemoVideo emulator.
 */

let dir: string;
let clip: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "discord-e2e-"));
  clip = await makeTestClip(dir, { seconds: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fake: FakeDiscord | undefined;
let emulator: Emulator | undefined;
let app: App | undefined;
let logs: () => string = () => "";
let limiterConnection: Redis | undefined;

afterEach(async () => {
  await app?.close();
  await emulator?.close();
  await fake?.close();
  limiterConnection?.disconnect();
  app = emulator = fake = limiterConnection = undefined;
});

async function startAll(options: { windowMs?: number; renderMs?: number; env?: Record<string, string> } = {}) {
  const windowMs = options.windowMs ?? 840_000;
  // The fake's tokens die when our window ends, as Discord's do 15 minutes after the interaction.
  fake = await startFakeDiscord({ interactionTokenTtlMs: windowMs });
  emulator = await startEmulator({
    anonymousPerIpLimit: Infinity,
    timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: options.renderMs ?? 80, heartbeatOnlyMs: 60_000 },
  });
  const config = loadConfig({
    LOG_LEVEL: "debug",
    DISCORD_TOKEN: BOT_TOKEN,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_ROOT: fake.apiRoot,
    DISCORD_INTERACTION_WINDOW_MS: String(windowMs),
    NEMO_API_BASE: emulator.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: uniquePrefix("dc-e2e"),
    TOKEN_KEY: "22".repeat(32),
    EXPORT_DIR: join(dir, "exports"),
    ...FAST_E2E_ENV,
    ...options.env,
  });
  const captured = capturingLogger();
  logs = captured.lines;
  limiterConnection = new Redis(testRedisUrl());
  const discord = createDiscordAdapter(config, { logger: captured.logger, skill: skillProfile(config.SKILL_PROFILE), redis: limiterConnection });
  app = await startApp({ config, logger: captured.logger, adapters: [discord], workerTuning: TINY_TUNING });
  return { fake, emulator };
}

const USER = "500000000000000005";
const withFile = (m: FakeMessage) => (m.files.length > 0 ? m : undefined);
const withVideo = (m: FakeMessage) => (m.files.some((f) => looksLikeMp4(f.bytes)) ? m : undefined);

describe("a creator in a Discord server", () => {
  it("/edit with a clip: acknowledged at once, one status edited in place, the edit's reply; /export attaches the MP4", async () => {
    const { fake } = await startAll();
    const edit = fake.runCommand({
      name: "edit",
      options: { prompt: "cut to 30 seconds and add captions" },
      attachment: { path: clip, contentType: "video/mp4", filename: "raw.mp4" },
      guildId: fake.guildId,
      userId: USER,
    });
    // The clip's upload answers first; then the prompt runs as a turn with its own status message.
    const isStatus = (m: FakeMessage) => [m.content, ...m.history].some((t) => /Thinking/.test(t));
    const hasExportButton = (m: FakeMessage) => JSON.stringify(m.components).includes('"custom_id":"export"');
    const reply = await fake.waitFor(
      () => {
        const replies = fake.repliesTo(edit.id);
        const status = replies.findIndex(isStatus);
        return status === -1 ? undefined : replies.slice(status + 1).find(hasExportButton);
      },
      20_000,
      "the edit's reply with an Export button",
    );
    // Deferred: the fake answers 10062 to a callback later than Discord's 3 s, so a recorded one was in time.
    expect(edit.callback?.type).toBe(5);
    // Progress was ONE status message edited in place, through the interaction's webhook.
    const statuses = fake.repliesTo(edit.id).filter(isStatus);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]?.history.length).toBeGreaterThanOrEqual(1);
    expect(statuses[0]?.via).toBe("webhook");
    expect(reply.via).toBe("webhook");
    // The clip went to NemoVideo as its Discord CDN URL or as streamed bytes; either way it arrived.
    expect(emulator!.counters.requests("upload")).toBeGreaterThanOrEqual(1);

    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER });
    const video = await fake.waitFor(() => fake.repliesTo(exported.id).find(withFile), 20_000, "the exported video");
    expect(exported.callback?.type).toBe(5);
    // The editor's "click Export when you're happy" pointed at the button; only /export rendered.
    expect(emulator!.counters.rendersStarted()).toHaveLength(1);
    // No video went to the edit (a timeline picture may have); the export's video is a channel message (its nonce is why).
    expect(fake.repliesTo(edit.id).filter((m) => m.interactionId === edit.id && withVideo(m))).toEqual([]);
    expect(video.via).toBe("channel");
    expect(video.files[0]?.name).toMatch(/\.mp4$/);
    expect(looksLikeMp4(video.files[0]!.bytes)).toBe(true);
    expect(logs()).not.toContain(BOT_TOKEN);
    expect(logs()).not.toContain(edit.token);
  });

  it("a render that outlasts the interaction token is delivered through the channel", async () => {
    const { fake } = await startAll({ windowMs: 2500, renderMs: 4500 });
    const upload = fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4" }, guildId: fake.guildId, userId: USER });
    await fake.waitFor(() => fake.repliesTo(upload.id).find((m) => m.components.length > 0), 20_000, "the upload's answer");

    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER });
    const video = await fake.waitFor(() => fake.repliesTo(exported.id).find(withFile), 20_000, "the exported video");
    // The status began in the interaction's reply and, once the window closed, went on in a NEW
    // channel message edited in place.
    const statuses = fake.repliesTo(exported.id).filter((m) => /Rendering|Preparing/.test([m.content, ...m.history].join("\n")));
    expect(statuses.map((m) => m.via)).toEqual(["webhook", "channel"]);
    expect(statuses[1]?.history.length).toBeGreaterThanOrEqual(1);
    expect(video.via).toBe("channel");
    expect(video.channelId).toBe(fake.channelId);
    expect(looksLikeMp4(video.files[0]!.bytes)).toBe(true);
    // Nothing was lost to the dead token: every webhook call after the window would be a 401 here.
    expect(fake.store.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it("a video whose answer comes after the upload timeout, retried by the delivery step, is in the channel once", async () => {
    // Uploads give up after 1.5 s (the clip's upload to NemoVideo is local and quick); Discord answers the video's post after 4 s.
    const { fake } = await startAll({ env: { UPLOAD_TIMEOUT_MS: "1500" } });
    const upload = fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4" }, guildId: fake.guildId, userId: USER });
    await fake.waitFor(() => fake.repliesTo(upload.id).find((m) => m.components.length > 0), 20_000, "the upload's answer");

    fake.delayFileAnswers(4_000);
    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER });
    await fake.waitForReply(exported.id, /Your video is ready/, 30_000);
    await fake.waitFor(() => (fake.heldAnswers === 0 ? true : undefined), 10_000, "the late answer");
    // The first post timed out on our side and was retried: Discord saw two posts of the video...
    const videoPosts = fake.store.requests.filter((r) => r.method === "POST" && r.bodyText.includes("nemovideo.mp4"));
    expect(videoPosts.length).toBeGreaterThanOrEqual(2);
    // ...and made one message: the retry carried the first one's nonce.
    const videos = [...fake.store.messages.values()].filter((m) => !m.deleted && withVideo(m));
    expect(videos).toHaveLength(1);
    expect(videos[0]?.via).toBe("channel");
    expect(videos[0]?.channelId).toBe(fake.channelId);
  });

  it("/timeline answers with the picture attached and the track summary as its text", async () => {
    const { fake } = await startAll();
    const upload = fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4", filename: "beach.mp4" }, guildId: fake.guildId, userId: USER });
    await fake.waitFor(() => fake.repliesTo(upload.id).find((m) => m.components.length > 0), 20_000, "the upload's answer");
    const asked = fake.runCommand({ name: "timeline", guildId: fake.guildId, userId: USER });
    const picture = await fake.waitFor(() => fake.repliesTo(asked.id).find(withFile), 20_000, "the timeline picture");
    expect(picture.content).toMatch(/Timeline \(1 track\):\n1\. Video: beach\.mp4/);
    expect(picture.files).toHaveLength(1);
    expect(picture.files[0]?.name).toBe("timeline.png");
    expect(picture.files[0]?.bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(JSON.stringify(picture.components)).toContain('"custom_id":"timeline-refresh"');
  });

  it("a result over the interaction's attachment limit comes as a link", async () => {
    const { fake } = await startAll();
    const upload = fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4" }, guildId: fake.guildId, userId: USER });
    await fake.waitFor(() => fake.repliesTo(upload.id).find((m) => m.components.length > 0), 20_000, "the upload's answer");

    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER, attachmentSizeLimit: 1024 });
    const link = await fake.waitForReply(exported.id, /too large to send here[\s\S]*http:\/\/127\.0\.0\.1/, 20_000);
    expect(link.files).toEqual([]);
    expect(fake.repliesTo(exported.id).some((m) => m.files.length > 0)).toBe(false);
  });

  it("/token is never echoed: not in any message Discord received, nor in the log", async () => {
    const { fake } = await startAll();
    const secret = "nmv_usr_discord_do_not_share_42";
    const interaction = fake.runCommand({ name: "token", options: { value: secret }, guildId: fake.guildId, userId: USER });
    const answer = await fake.waitForReply(interaction.id, /🔑/, 20_000);
    // Only the user saw the exchange.
    expect(interaction.callback?.flags).toBe(64);
    expect(answer.flags & 64).toBe(64);
    expect(fake.store.allReceivedText()).not.toContain(secret);
    expect(logs()).not.toContain(secret);
  });
});
