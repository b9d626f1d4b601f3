import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDiscordOutbox } from "../../adapters/discord/outbox.js";
import type { Outbox } from "../../src/chat/outbox.js";
import { silentLogger } from "../../src/log.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { startFakeDiscord, type FakeDiscord, type FakeInteraction } from "../fakes/discord/index.js";
import { BOT_TOKEN, capturingLogger, deferInFake, handleFor, sleep } from "./helpers.js";

/** The outbox alone, as a worker uses it: @discordjs/rest against the fake, no gateway anywhere. */
describe("Discord outbox over REST", () => {
  let fake: FakeDiscord;
  let outbox: Outbox;
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "discord-outbox-"));
    clip = await makeTestClip(dir, { seconds: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    fake = await startFakeDiscord();
    outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5000, uploadTimeoutMs: 30_000, logger: silentLogger });
  });
  afterEach(async () => {
    await fake.close();
  });

  async function deferredCommand(name = "edit", guild = true): Promise<FakeInteraction> {
    const interaction = fake.runCommand({ name, userId: "200000000000000002", ...(guild ? { guildId: fake.guildId } : {}) });
    await deferInFake(fake, interaction);
    return interaction;
  }

  it("answers a deferred interaction in its 'thinking…' reply, then with follow-ups", async () => {
    const interaction = await deferredCommand();
    const to = handleFor(fake, interaction);
    await outbox.sendText(to, "first answer");
    await outbox.sendText(to, "second answer");

    const replies = fake.repliesTo(interaction.id);
    expect(replies.map((m) => m.content)).toEqual(["first answer", "second answer"]);
    expect(replies[0]?.id).toBe(interaction.originalId);
    expect(replies.every((m) => m.via === "webhook")).toBe(true);
  });

  it("splits long text at 2000 characters, on line breaks where it can", async () => {
    const interaction = await deferredCommand();
    const lines = Array.from({ length: 90 }, (_, i) => `line ${i}: ${"x".repeat(40)}`);
    await outbox.sendText(handleFor(fake, interaction), lines.join("\n"));

    const replies = fake.repliesTo(interaction.id);
    expect(replies.length).toBe(3);
    expect(replies.every((m) => m.content.length <= 2000)).toBe(true);
    expect(replies.map((m) => m.content).join("\n")).toBe(lines.join("\n"));
  });

  it("edits one status message in place and posts a new one when it was deleted (10008)", async () => {
    const interaction = await deferredCommand();
    const to = handleFor(fake, interaction);
    const first = await outbox.upsertStatus(to, undefined, "🤔 Thinking…");
    const second = await outbox.upsertStatus(to, first, "⏳ Still working... (2 min)");
    expect(second).toEqual(first);
    const status = fake.store.messages.get(interaction.originalId!)!;
    expect(status.content).toBe("⏳ Still working... (2 min)");
    expect(status.history).toEqual(["🤔 Thinking…"]);

    status.deleted = true;
    const third = await outbox.upsertStatus(to, second, "✂️ Cutting");
    expect(third.messageId).not.toBe(second.messageId);
    expect(fake.repliesTo(interaction.id).map((m) => m.content)).toEqual(["✂️ Cutting"]);
  });

  it("moves to a channel message when the window ends mid-item, and edits that one in place", async () => {
    const interaction = await deferredCommand();
    const to = handleFor(fake, interaction, { windowMs: 300 });
    const webhookRef = await outbox.upsertStatus(to, undefined, "🤔 Thinking…");
    expect(fake.store.messages.get(interaction.originalId!)?.content).toBe("🤔 Thinking…");

    await sleep(350);
    const channelRef = await outbox.upsertStatus(to, webhookRef, "🎬 Rendering 40%");
    expect(channelRef.messageId).not.toBe(webhookRef.messageId);
    const inChannel = fake.store.messagesIn(interaction.channelId).filter((m) => m.via === "channel");
    expect(inChannel.map((m) => m.content)).toEqual(["🎬 Rendering 40%"]);

    const again = await outbox.upsertStatus(to, channelRef, "🎬 Rendering 90%");
    expect(again).toEqual(channelRef);
    expect(inChannel[0]?.content).toBe("🎬 Rendering 90%");
    expect(inChannel[0]?.history).toEqual(["🎬 Rendering 40%"]);
    // The webhook status kept its last words; nothing was sent through the dead token after the window.
    expect(fake.store.messages.get(interaction.originalId!)?.content).toBe("🤔 Thinking…");
  });

  it("falls back to the channel when Discord says the token is invalid (50027) before our window ends", async () => {
    const interaction = await deferredCommand();
    const to = handleFor(fake, interaction);
    fake.expireToken(interaction.id);
    await outbox.sendText(to, "your edit is ready");
    const message = await fake.waitForReply(interaction.id, /your edit is ready/);
    expect(message.via).toBe("channel");
    expect(message.channelId).toBe(interaction.channelId);
  });

  it("sends a DM when the app cannot post in the channel (50001)", async () => {
    const interaction = await deferredCommand();
    const to = handleFor(fake, interaction, { windowMs: 0 });
    fake.denyChannel(interaction.channelId);
    await outbox.sendText(to, "here is your video link");
    const message = await fake.waitForReply(interaction.id, /here is your video link/);
    expect(message.channelId).toBe(fake.dmChannelOf(interaction.userId));
    expect(fake.store.messagesIn(interaction.channelId).filter((m) => m.via === "channel")).toEqual([]);
  });

  it("says clearly in the log, and to the caller, when DMs are closed too (50007)", async () => {
    const { logger, lines } = capturingLogger();
    const quiet = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5000, uploadTimeoutMs: 5000, logger });
    const interaction = await deferredCommand();
    fake.denyChannel(interaction.channelId);
    fake.closeDms(interaction.userId);
    await expect(quiet.sendText(handleFor(fake, interaction, { windowMs: 0 }), "lost words")).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(lines()).toMatch(/cannot deliver.*DMs are closed/);
    expect(lines()).not.toContain(interaction.token);
    expect(fake.store.allReceivedText()).toContain("lost words");
    expect([...fake.store.messages.values()].some((m) => m.content === "lost words")).toBe(false);
  });

  it("keeps an ephemeral exchange private: follow-ups stay ephemeral, and after the window it goes to a DM", async () => {
    const interaction = fake.runCommand({ name: "token", guildId: fake.guildId, options: { value: "nmv_secret" } });
    await deferInFake(fake, interaction, true);
    const to = handleFor(fake, interaction, { ephemeral: true });
    await outbox.sendText(to, "saved");
    await outbox.sendText(to, "and a follow-up");
    const [original, followUp] = fake.repliesTo(interaction.id);
    expect(original?.flags).toBe(64);
    expect(followUp?.flags).toBe(64);

    await outbox.sendText(handleFor(fake, interaction, { ephemeral: true, windowMs: 0 }), "late and private");
    const late = await fake.waitForReply(interaction.id, /late and private/);
    expect(late.channelId).toBe(fake.dmChannelOf(interaction.userId));
  });

  it("attaches a video up to the interaction's limit and refuses a bigger one, which goes as a link", async () => {
    const interaction = await deferredCommand("export");
    const size = statSync(clip).size;
    const roomy = handleFor(fake, interaction, { attachmentLimit: size + 1 });
    expect(outbox.maxVideoBytes(roomy)).toBe(size + 1);
    await outbox.sendVideo(roomy, { open: () => createReadStream(clip), fileName: "edit.mp4", size, caption: "🎬 Here it is" });
    const posted = await fake.waitForReply(interaction.id, /edit\.mp4/);
    expect(posted.content).toBe("🎬 Here it is");
    expect(posted.files[0]?.bytes.length).toBe(size);
    expect(looksLikeMp4(posted.files[0]!.bytes)).toBe(true);

    const tight = handleFor(fake, interaction, { attachmentLimit: size - 1 });
    await expect(outbox.sendVideo(tight, { open: () => createReadStream(clip), fileName: "big.mp4", size })).rejects.toMatchObject({
      code: "video_too_large",
    });
    await outbox.sendLink(tight, "📦 Too big to attach here; download it:", "https://cdn.example.invalid/render.mp4");
    const link = await fake.waitForReply(interaction.id, /cdn\.example\.invalid\/render\.mp4/);
    expect(link.files).toEqual([]);
  });

  it("attaches a picture with its caption and buttons; a caption past 2000 characters continues as text", async () => {
    const interaction = await deferredCommand("timeline");
    const to = handleFor(fake, interaction);
    const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), Buffer.alloc(2000, 1)]);
    await outbox.sendPhoto(to, { bytes: png, fileName: "timeline.png", width: 1000, height: 279, caption: "Timeline (1 track):" }, { buttons: [{ intent: "timeline", label: "Refresh" }] });
    const posted = await fake.waitForReply(interaction.id, /Timeline \(1 track\)/);
    expect(posted.files).toHaveLength(1);
    expect(posted.files[0]).toMatchObject({ name: "timeline.png" });
    expect(Buffer.compare(posted.files[0]!.bytes, png)).toBe(0);
    expect(JSON.stringify(posted.components)).toContain('"custom_id":"timeline"');

    const long = "Lots of tracks. ".repeat(200).trim();
    await outbox.sendPhoto(to, { bytes: png, fileName: "timeline.png", width: 1000, height: 279, caption: long }, { buttons: [{ intent: "export", label: "Export" }] });
    const replies = fake.repliesTo(interaction.id);
    const at = replies.findIndex((m) => m.files.length > 0 && m.content.startsWith("Lots"));
    const [withPicture, rest] = [replies[at]!, replies[at + 1]!];
    expect(rest.files).toEqual([]);
    expect(withPicture.content.length).toBeLessThanOrEqual(2000);
    // The buttons sit under the end of the caption.
    expect(withPicture.components).toEqual([]);
    expect(JSON.stringify(rest.components)).toContain('"custom_id":"export"');
    expect(`${withPicture.content}\n${rest.content}`.replace(/\s+/g, " ")).toBe(long);
  });

  it("refuses a picture over the attachment limit", async () => {
    const interaction = await deferredCommand("timeline");
    const to = handleFor(fake, interaction, { attachmentLimit: 100 });
    await expect(outbox.sendPhoto(to, { bytes: Buffer.alloc(101), fileName: "timeline.png", width: 1, height: 1 })).rejects.toMatchObject({ code: "video_too_large" });
  });

  it("defaults the attachment limit to 10 MiB when the payload has none", () => {
    const to = { platform: "discord" as const, chatId: "1", threadId: "discord:1:", chatKind: "private" as const, data: { channelId: "1" } };
    expect(outbox.maxVideoBytes(to)).toBe(10 * 1024 * 1024);
  });

  it("offers buttons as an action row whose custom ids are the intents", async () => {
    const interaction = await deferredCommand();
    await outbox.sendText(handleFor(fake, interaction), "Done.", {
      buttons: [
        { intent: "export", label: "Export" },
        { intent: "timeline", label: "Timeline" },
        { intent: "credits", label: "Credits" },
      ],
    });
    const [message] = fake.repliesTo(interaction.id);
    const rows = message?.components as Array<{ type: number; components: Array<{ custom_id: string; label: string }> }>;
    expect(rows[0]?.type).toBe(1);
    expect(rows[0]?.components.map((b) => b.custom_id)).toEqual(["export", "timeline", "credits"]);
  });

  it("lets two processes share an interaction: only the first claims the deferred reply", async () => {
    const interaction = await deferredCommand();
    const other = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5000, uploadTimeoutMs: 5000, logger: silentLogger });
    const to = handleFor(fake, interaction);
    await outbox.sendText(to, "quick answer from the bot");
    await other.upsertStatus(to, undefined, "🤔 Thinking…");
    const replies = fake.repliesTo(interaction.id);
    expect(replies.map((m) => m.content)).toEqual(["quick answer from the bot", "🤔 Thinking…"]);
  });

  it("never mentions anyone by accident", async () => {
    const interaction = await deferredCommand();
    await outbox.sendText(handleFor(fake, interaction), "@everyone look");
    expect(fake.store.allReceivedText()).toContain('"allowed_mentions":{"parse":[]}');
  });
});
