import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BOT_TOKEN } from "../discord/helpers.js";
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from "../fakes/discord/index.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { killIfRunning } from "../app/support.js";
import { cleanEnv, FAST_ENV, startEmulatorProcess, startMain, stopMain, waitForOutput, whileRunning, type EmulatorProcess, type RunningProcess } from "./support.js";

/**
 * The Discord app as production runs it: `npm start`'s entry in its own process, configured only by
 * environment variables, on the fake Discord's gateway and REST API, with the NemoVideo emulator in
 * a third process. Here the modules load in production's order (the NemoVideo client's undici
 * before discord.js), which is what broke every video post once.
 */

const USER = "500000000000000007";
let dir: string;
let clip: string;
let emulator: EmulatorProcess;
let fake: FakeDiscord | undefined;
let bot: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "e2e-discord-"));
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

/** The bot process, connected to the fake's gateway (its last start-up step). */
async function startBot(env: Record<string, string> = {}, fakeOptions: Parameters<typeof startFakeDiscord>[0] = {}) {
  const discord = await startFakeDiscord(fakeOptions);
  fake = discord;
  const main = startMain(
    cleanEnv({
      ...FAST_ENV,
      LOG_LEVEL: "debug",
      DISCORD_TOKEN: BOT_TOKEN,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_ROOT: discord.apiRoot,
      NEMO_API_BASE: emulator.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: uniquePrefix("e2e-dc"),
      EXPORT_DIR: join(dir, "exports"),
      ...env,
    }),
  );
  bot = main;
  await waitForOutput(main, /discord: connected to the gateway/, 60_000);
  return { fake: discord, bot: main };
}

/** The export's outcome: the message with the video, or the apology that came instead. */
const outcome = (discord: FakeDiscord, interactionId: string) => () =>
  discord.repliesTo(interactionId).find((m: FakeMessage) => m.files.length > 0 || /went wrong/i.test(m.content));

/** /edit with the clip and a prompt, until the edit's answer (with its Export button) is there. */
async function editWithClip(discord: FakeDiscord, main: RunningProcess): Promise<void> {
  const edit = discord.runCommand({
    name: "edit",
    options: { prompt: "cut it to 3 seconds" },
    attachment: { path: clip, contentType: "video/mp4", filename: "clip.mp4" },
    guildId: discord.guildId,
    userId: USER,
  });
  await whileRunning(
    main,
    discord.waitFor(
      () => discord.repliesTo(edit.id).find((m) => /Done/.test(m.content) && JSON.stringify(m.components).includes('"custom_id":"export"')),
      60_000,
      "the edit's answer with an Export button",
    ),
  );
}

describe("Discord through the product's process", { timeout: 120_000 }, () => {
  it("/export posts the MP4 as an attachment in the interaction's channel, with the item's nonce", async () => {
    const { fake, bot } = await startBot();
    await editWithClip(fake, bot);

    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER });
    const video = await whileRunning(bot, fake.waitFor(outcome(fake, exported.id), 60_000, "the exported video"));
    expect(video.content).not.toMatch(/went wrong/i);
    // A channel message, not a webhook follow-up: only Create Message takes a nonce (enforce_nonce).
    expect(video.via).toBe("channel");
    expect(video.channelId).toBe(exported.channelId);
    expect(video.nonce).toMatch(/^[0-9a-f]{25}$/);
    expect(video.files[0]?.name).toMatch(/\.mp4$/);
    expect(looksLikeMp4(video.files[0]!.bytes)).toBe(true);
    // No "Something went wrong" anywhere: the post with a file went through the first time.
    expect(fake.repliesTo(exported.id).map((m) => m.content).join("\n")).not.toMatch(/went wrong/);
    expect(bot.output()).not.toContain("action is not a function");
    expect(bot.output()).not.toContain(BOT_TOKEN);
    expect(await stopMain(bot)).toBe(0);
  });

  it("after the interaction window the MP4 is posted in the channel", async () => {
    const windowMs = 2_500;
    // Discord's own token dies with our window here, so a late webhook call would be refused (401).
    const { fake, bot } = await startBot({ DISCORD_INTERACTION_WINDOW_MS: String(windowMs) }, { interactionTokenTtlMs: windowMs });
    const upload = fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4", filename: "clip.mp4" }, guildId: fake.guildId, userId: USER });
    await whileRunning(bot, fake.waitFor(() => fake.repliesTo(upload.id).find((m) => /Added to your project/.test(m.content)), 60_000, "the upload's answer"));

    // The render takes ten times as long as usual (3 s): the window closes while it runs.
    await emulator.addFaults({ kind: "slow-render" });
    const exported = fake.runCommand({ name: "export", guildId: fake.guildId, userId: USER });
    const video = await whileRunning(bot, fake.waitFor(outcome(fake, exported.id), 60_000, "the exported video"));
    expect(video.content).not.toMatch(/went wrong/i);
    expect(video.via).toBe("channel");
    expect(video.channelId).toBe(fake.channelId);
    expect(video.createdAt - exported.dispatchedAt).toBeGreaterThan(windowMs);
    expect(looksLikeMp4(video.files[0]!.bytes)).toBe(true);
    expect(fake.store.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(bot.output()).not.toContain("action is not a function");
    expect(await stopMain(bot)).toBe(0);
  });
});
