import { Redis } from "ioredis";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../adapters/discord/index.js";
import type { ChatAdapter } from "../../src/chat/adapter.js";
import type { ChatMessage } from "../../src/chat/message.js";
import { silentLogger } from "../../src/log.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { makeTestClip } from "../helpers/media.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { BOT_TOKEN, discordConfig } from "./helpers.js";
import { readHandleData } from "../../adapters/discord/reply-data.js";
import { tokenSeal } from "../../adapters/discord/seal.js";

/** The adapter with a real discord.js Client on the fake gateway: interactions in, ChatMessages out. */
describe("Discord adapter", () => {
  let dir: string;
  let clip: string;
  let fake: FakeDiscord | undefined;
  let adapter: ChatAdapter | undefined;
  const received: ChatMessage[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "discord-adapter-"));
    clip = await makeTestClip(dir, { seconds: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let redis: Redis | undefined;
  afterEach(async () => {
    await adapter?.stop();
    await fake?.close();
    redis?.disconnect();
    received.length = 0;
  });

  async function start(env: Record<string, string> = {}, answer?: (m: ChatMessage) => Promise<void>) {
    fake = await startFakeDiscord();
    redis = new Redis(testRedisUrl());
    adapter = createDiscordAdapter(discordConfig(fake, { QUEUE_PREFIX: uniquePrefix("dc"), ...env }), { logger: silentLogger, skill: skillProfile("video-making-ai"), redis });
    await adapter.start(async (message) => {
      received.push(message);
      await answer?.(message);
    });
    expect(adapter.healthy()).toBe(true);
    return { fake, adapter };
  }

  const nextMessage = () => fake!.waitFor(() => received[0], 5000, "a chat message");

  it("turns /edit with a clip into the prompt and a public-URL attachment, deferred first", async () => {
    const { fake } = await start();
    const interaction = fake.runCommand({
      name: "edit",
      options: { prompt: "cut to 30 seconds, add captions" },
      attachment: { path: clip, contentType: "video/mp4", filename: "holiday.mp4" },
      guildId: fake.guildId,
      userId: "300000000000000003",
      locale: "zh-CN",
    });
    const message = await nextMessage();

    // Deferred (type 5): the fake refuses callbacks later than 3 s with 10062, so a callback means in time.
    expect(interaction.callback?.type).toBe(5);
    expect(interaction.callback?.flags).toBe(0);
    expect(message.text).toBe("cut to 30 seconds, add captions");
    expect(message.chatKind).toBe("group");
    expect(message.addressed).toBe(true);
    expect(message.locale).toBe("zh-CN");
    expect(message.userKey).toBe("discord:300000000000000003");
    expect(message.threadId).toBe(`discord:${fake.channelId}:`);
    expect(message.attachments).toHaveLength(1);
    const [file] = message.attachments;
    expect(file).toMatchObject({ name: "holiday.mp4", size: statSync(clip).size, mimeType: "video/mp4", kind: "video" });
    expect(file?.source.type).toBe("public-url");

    // What a worker needs in the handle, and it survives JSON.
    const data = JSON.parse(JSON.stringify(message.replyTo.data)) as Record<string, unknown>;
    expect(data).toMatchObject({ interactionId: interaction.id, applicationId: fake.applicationId, channelId: fake.channelId });
    // The interaction token lets anyone post as the bot: job data holds it sealed, never in the clear.
    expect(JSON.stringify(data)).not.toContain(interaction.token);
    expect(readHandleData(message.replyTo, tokenSeal(BOT_TOKEN)).token).toBe(interaction.token);
    expect(readHandleData(message.replyTo, tokenSeal("another bot")).token).toBeUndefined();
    // The window counts from the interaction (its snowflake time), not from whenever a worker runs.
    const startedAt = Number(data.expiresAt) - 840_000;
    expect(startedAt).toBeGreaterThanOrEqual(interaction.dispatchedAt - 50);
    expect(startedAt).toBeLessThanOrEqual(interaction.callback!.at);
    expect(data.attachmentLimit).toBe(10 * 1024 * 1024);
  });

  it("streams the attachment from the CDN when a URL upload is refused", async () => {
    const { fake, adapter } = await start();
    fake.runCommand({ name: "upload", attachment: { path: clip, contentType: "video/mp4" } });
    const message = await nextMessage();
    expect(message.text).toBe("");
    expect(message.chatKind).toBe("private");
    const stream = await adapter.openAttachment(message.attachments[0]!.source);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(readFileSync(clip))).toBe(true);
  });

  it("maps commands to the router's text and /token to an ephemeral deferral", async () => {
    const { fake } = await start();
    const expected: Array<[string, Record<string, string>, string]> = [
      ["export", {}, "/export"],
      ["status", {}, "/status"],
      ["timeline", {}, "/timeline"],
      ["credits", {}, "/credits"],
      ["new", {}, "/new"],
      ["cancel", {}, "/cancel"],
      ["help", {}, "/help"],
      ["lang", { language: "zh-CN" }, "/lang zh-CN"],
      ["token", { value: "nmv_abc123" }, "/token nmv_abc123"],
    ];
    for (const [name, options, text] of expected) {
      const interaction = fake.runCommand({ name, options, guildId: fake.guildId });
      await fake.waitFor(() => received.find((m) => m.messageId === interaction.id), 5000, `/${name}`);
      expect(received.at(-1)?.text).toBe(text);
      expect(interaction.callback?.flags).toBe(name === "token" ? 64 : 0);
    }
    // Only the user sees a /token exchange, even in a server: the router may treat it as private.
    const tokenMessage = received.find((m) => m.text.startsWith("/token"));
    expect(tokenMessage?.replyTo.data?.ephemeral).toBe(true);
    expect(tokenMessage?.chatKind).toBe("private");
    expect(received.find((m) => m.text === "/export")?.chatKind).toBe("group");
    // A slash command leaves no message holding the token, so there is nothing to delete.
    expect(await adapter!.outbox.deleteMessage!(tokenMessage!.replyTo, tokenMessage!.messageId)).toBe(true);
  });

  it("turns a button press into its intent", async () => {
    const { fake } = await start();
    const press = fake.pressButton({ customId: "export", guildId: fake.guildId, locale: "en-US" });
    const message = await nextMessage();
    expect(message.button).toBe("export");
    expect(message.messageId).toBe(press.id);
    expect(press.callback?.type).toBe(5);
  });

  it("hands the router what it needs to refuse a file: Discord's own name, type and size", async () => {
    const { fake } = await start();
    fake.runCommand({
      name: "upload",
      attachment: { path: clip, contentType: "application/x-msdownload", filename: "setup.exe", size: 600 * 1024 * 1024 },
    });
    const message = await nextMessage();
    expect(message.attachments[0]).toMatchObject({ name: "setup.exe", mimeType: "application/x-msdownload", size: 600 * 1024 * 1024, kind: "document" });
  });

  it("still answers when the router fails, instead of leaving 'thinking…' forever", async () => {
    const { fake } = await start({}, () => Promise.reject(new Error("router exploded")));
    const interaction = fake.runCommand({ name: "status", locale: "zh-CN" });
    const reply = await fake.waitForReply(interaction.id, /出了点问题/);
    expect(reply.id).toBe(interaction.originalId);
  });

  it("answers through the adapter's own outbox, replacing the 'thinking…' reply", async () => {
    const { fake } = await start({}, async (m) => {
      await adapter!.outbox.sendText(m.replyTo, "💳 Credits: 100 available");
    });
    const interaction = fake.runCommand({ name: "credits", guildId: fake.guildId });
    const reply = await fake.waitForReply(interaction.id, /Credits: 100/);
    expect(reply.id).toBe(interaction.originalId);
  });

  it("takes plain messages in DMs and @mentions only with the Message Content intent", async () => {
    const { fake } = await start({ DISCORD_MESSAGE_CONTENT: "1" });
    expect(fake.store.identifies[0]!.intents & (1 << 15)).toBe(1 << 15);
    fake.postMessage({ content: "not for the bot", guildId: fake.guildId });
    fake.postMessage({ content: "make it shorter", guildId: fake.guildId, mentionBot: true, userId: "400000000000000004" });
    const mention = await nextMessage();
    expect(mention.text).toBe("make it shorter");
    expect(mention.chatKind).toBe("group");

    fake.postMessage({ content: "", attachments: [{ path: clip, contentType: "video/mp4", filename: "dm.mp4" }], userId: "400000000000000004" });
    const dm = await fake.waitFor(() => received[1], 5000, "the DM");
    expect(dm.chatKind).toBe("private");
    expect(dm.attachments[0]?.name).toBe("dm.mp4");
    expect(received).toHaveLength(2);
  });

  it("hands on a DM with nothing usable (a sticker, a poll) so it gets an answer; Discord's own notices stay out", async () => {
    const { fake } = await start({ DISCORD_MESSAGE_CONTENT: "1" });
    const userId = "400000000000000005";
    // A pin notice (type 6) is Discord's, not the user's: no answer.
    fake.postMessage({ content: "", userId, extra: { type: 6 } });
    const sticker = fake.postMessage({ content: "", userId, extra: { sticker_items: [{ id: "749054660769218631", name: "Wave", format_type: 1 }] } });
    const poll = fake.postMessage({
      content: "",
      userId,
      extra: { poll: { question: { text: "Which cut?" }, answers: [{ answer_id: 1, poll_media: { text: "A" } }], expiry: null, allow_multiselect: false, layout_type: 1 } },
    });
    // A bare @mention in a server is addressed to the bot too.
    const mention = fake.postMessage({ content: "", guildId: fake.guildId, mentionBot: true, userId });
    await fake.waitFor(() => received[2], 5000, "three messages");
    expect(received.map((m) => m.messageId)).toEqual([sticker.messageId, poll.messageId, mention.messageId]);
    expect(received.map((m) => [m.chatKind, m.text, m.attachments.length])).toEqual([
      ["private", "", 0],
      ["private", "", 0],
      ["group", "", 0],
    ]);
  });

  it("asks for no Message Content without the operator's opt-in", async () => {
    const { fake } = await start();
    expect(fake.store.identifies[0]!.intents & (1 << 15)).toBe(0);
  });
});
