import { Api } from "grammy";
import { Redis } from "ioredis";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, Dispatcher, getGlobalDispatcher, request, setGlobalDispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../adapters/discord/index.js";
import { createAttachmentOpener } from "../../adapters/discord/files.js";
import { createDiscordOutbox } from "../../adapters/discord/outbox.js";
import { createTelegramFileOpener } from "../../adapters/telegram/files.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { silentLogger } from "../../src/log.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { BOT_TOKEN, deferInFake, discordConfig, handleFor } from "../discord/helpers.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { startFakeTelegram } from "../fakes/telegram/server.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * undici keeps one global dispatcher per process, shared by every copy of undici in it: ours (7),
 * the one @discordjs/rest ships (6) and Node's own fetch. Whichever loads first installs it. In
 * `npm start` the NemoVideo client loads undici 7 before discord.js is imported, and undici 7
 * cannot encode the FormData that @discordjs/rest builds: every video post to Discord failed with
 * "TypeError: action is not a function". Our clients must work whatever the global dispatcher is.
 */

let dir: string;
let clip: string;
let previous: Dispatcher;
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "global-dispatcher-"));
  clip = await makeTestClip(dir, { seconds: 1 });
  previous = getGlobalDispatcher();
});
afterEach(async () => {
  setGlobalDispatcher(previous);
  for (const server of servers.splice(0)) await server.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nemoClientFor(emulator: Emulator) {
  return createNemoClient(
    {
      NEMO_API_BASE: emulator.url,
      NEMO_SKILL_PLATFORM: "unknown",
      REQUEST_TIMEOUT_MS: 10_000,
      UPLOAD_TIMEOUT_MS: 30_000,
      RETRY_AFTER_429_MS: 50,
      TURN_TIMEOUT_MS: 30_000,
      SILENT_TIMEOUT_MS: 30_000,
    } as Parameters<typeof createNemoClient>[0],
    skillProfile("video-making-ai"),
  );
}

async function started<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const value = await server;
  servers.push(value);
  return value;
}

/** A global dispatcher that refuses every request and remembers who asked. */
class RefusingDispatcher extends Dispatcher {
  readonly asked: string[] = [];
  override dispatch(options: Dispatcher.DispatchOptions): boolean {
    this.asked.push(`${options.method} ${String(options.origin ?? "")}${options.path}`);
    throw new Error("the global dispatcher was used");
  }
  override close(): Promise<void> {
    return Promise.resolve();
  }
  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

describe("HTTP clients and undici's global dispatcher", () => {
  it("a Discord video post succeeds after an undici 7 request, in the order npm start makes them", async () => {
    const emulator = await started(startEmulator({ anonymousPerIpLimit: Infinity }));
    const fake = await started(startFakeDiscord());
    // What loading undici 7 before discord.js does in `npm start` (this file's imports may load them in another order).
    setGlobalDispatcher(new Agent());
    // First the NemoVideo client's request, as at the start of every session…
    const token = await nemoClientFor(emulator).anonymousToken("dispatcher-order");
    expect(token.token.length).toBeGreaterThan(0);
    // …then, minutes later, the exported video goes to Discord with a file.
    const interaction = fake.runCommand({ name: "export", guildId: fake.guildId, userId: "300000000000000003" });
    await deferInFake(fake, interaction);
    const outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5000, uploadTimeoutMs: 30_000, logger: silentLogger });
    const size = statSync(clip).size;
    await outbox.sendVideo(handleFor(fake, interaction), { fileName: "export.mp4", size, open: () => createReadStream(clip), caption: "🎬 Here it is" });

    const posted = fake.repliesTo(interaction.id).find((m) => m.files.length > 0);
    expect(posted?.files[0]?.name).toBe("export.mp4");
    expect(posted?.files[0]?.bytes.equals(readFileSync(clip))).toBe(true);
    expect(looksLikeMp4(posted!.files[0]!.bytes)).toBe(true);
  });

  it("no client of ours goes through the global dispatcher: NemoVideo, Telegram files, Discord REST, CDN and gateway login", async () => {
    const emulator = await started(startEmulator({ anonymousPerIpLimit: Infinity }));
    const telegram = await started(startFakeTelegram());
    const discord: FakeDiscord = await started(startFakeDiscord());
    const interaction = discord.runCommand({ name: "export", guildId: discord.guildId, userId: "300000000000000004" });
    await deferInFake(discord, interaction);
    const { message } = telegram.userSends({ chatId: 77, video: { path: clip } });
    const fileId = String((message.video as { file_id: string }).file_id);
    const attachmentUrl = discord.hostFile({ path: clip, contentType: "video/mp4" });

    const refusing = new RefusingDispatcher();
    setGlobalDispatcher(refusing);
    // Proof that the trap works: a request that does use the global dispatcher fails.
    await expect(request(`${emulator.url}/__emulator/health`)).rejects.toThrow(/global dispatcher was used/);
    refusing.asked.length = 0;

    const nemo = nemoClientFor(emulator);
    const { token } = await nemo.anonymousToken("dispatcher-free");
    const session = await nemo.createSession({ token }, { language: "en" });
    const uploaded = await nemo.uploadFiles({ token }, session.sessionId, [{ fileName: "clip.mp4", size: statSync(clip).size, open: () => createReadStream(clip) }]);
    expect(uploaded).toBeDefined();

    const telegramFile = createTelegramFileOpener({ api: new Api(telegram.token, { apiRoot: telegram.apiRoot }), token: telegram.token, apiRoot: telegram.apiRoot, localApi: false });
    expect(await bytesOf(await telegramFile({ type: "platform-file", platform: "telegram", fileId }))).toEqual(readFileSync(clip));

    const discordFile = createAttachmentOpener({ timeoutMs: 5000 });
    expect(await bytesOf(await discordFile({ type: "public-url", url: attachmentUrl }))).toEqual(readFileSync(clip));

    const outbox = createDiscordOutbox({ apiRoot: discord.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5000, uploadTimeoutMs: 30_000, logger: silentLogger });
    const to = handleFor(discord, interaction);
    await outbox.sendText(to, "the status");
    await outbox.sendVideo(to, { fileName: "export.mp4", size: statSync(clip).size, open: () => createReadStream(clip) });
    expect(discord.repliesTo(interaction.id).some((m) => m.files.some((f) => f.name === "export.mp4"))).toBe(true);

    const redis = new Redis(testRedisUrl());
    const adapter = createDiscordAdapter(discordConfig(discord, { QUEUE_PREFIX: uniquePrefix("dispatcher") }), { logger: silentLogger, skill: skillProfile("video-making-ai"), redis });
    try {
      await adapter.start(async () => undefined);
      expect(adapter.healthy()).toBe(true);
    } finally {
      await adapter.stop();
      redis.disconnect();
    }

    expect(refusing.asked).toEqual([]);
  });
});

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
