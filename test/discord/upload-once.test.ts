import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscordOutbox } from "../../adapters/discord/outbox.js";
import { silentLogger } from "../../src/log.js";
import { makeTestClip } from "../helpers/media.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { BOT_TOKEN, deferInFake, handleFor } from "./helpers.js";

/**
 * @discordjs/rest sends a request again by itself when it timed out (its `retries`, 3 by default). For
 * a video that means a second copy when Discord took the first but answered late. Posts with files are
 * sent once: the delivery step above has its own retry, and a video carries the item's key, which
 * goes to Discord as the message's `nonce` with `enforce_nonce` so a retry gets back the first copy.
 */
describe("a video post that Discord answers late", () => {
  let fake: FakeDiscord;
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "discord-upload-once-"));
    clip = await makeTestClip(dir, { seconds: 1 });
    fake = await startFakeDiscord();
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is not posted twice: the timed-out upload fails instead of being sent again", async () => {
    const outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5_000, uploadTimeoutMs: 1_000, logger: silentLogger });
    const interaction = fake.runCommand({ name: "export", userId: "200000000000000002", guildId: fake.guildId });
    await deferInFake(fake, interaction);
    const to = handleFor(fake, interaction);
    // The deferred reply is taken by a first answer, so the video is a new message (a POST, not an edit in place).
    await outbox.sendText(to, "📦 Sending your video…");

    fake.delayFileAnswers(3_000);
    const size = statSync(clip).size;
    const sent = outbox.sendVideo(to, { open: () => createReadStream(clip), fileName: "late.mp4", size, caption: "🎬 Your video" });
    await expect(sent).rejects.toBeDefined();
    // Discord made the message at once; wait until its late answer has gone out too.
    await fake.waitFor(() => (fake.heldAnswers === 0 ? true : undefined), 10_000, "the late answer");

    const withVideo = fake.repliesTo(interaction.id).filter((m) => m.files.some((f) => f.name === "late.mp4"));
    expect(withVideo).toHaveLength(1);
    const posts = fake.store.requests.filter((r) => r.method === "POST" && r.path.includes(`/webhooks/${fake.applicationId}/`));
    expect(posts).toHaveLength(1);
  });

  it("is not posted twice when its answer is lost to a 5xx: the upload fails instead of being sent again", async () => {
    const outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5_000, uploadTimeoutMs: 5_000, logger: silentLogger });
    const interaction = fake.runCommand({ name: "export", userId: "200000000000000005", guildId: fake.guildId });
    await deferInFake(fake, interaction);
    const to = handleFor(fake, interaction);
    await outbox.sendText(to, "📦 Sending your video…");

    fake.failFileAnswers(502);
    const size = statSync(clip).size;
    await expect(outbox.sendVideo(to, { open: () => createReadStream(clip), fileName: "lost.mp4", size })).rejects.toBeDefined();

    const withVideo = fake.repliesTo(interaction.id).filter((m) => m.files.some((f) => f.name === "lost.mp4"));
    expect(withVideo).toHaveLength(1);
    expect(fake.store.requests.filter((r) => r.method === "POST" && r.bodyText.includes("lost.mp4"))).toHaveLength(1);
  });

  it("with the item's key: a retry after the timeout gets back the message Discord already made (enforce_nonce)", async () => {
    const outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5_000, uploadTimeoutMs: 1_000, logger: silentLogger });
    const interaction = fake.runCommand({ name: "export", userId: "200000000000000003", guildId: fake.guildId });
    await deferInFake(fake, interaction);
    const to = handleFor(fake, interaction);
    await outbox.sendText(to, "📦 Sending your video…");
    const video = { open: () => createReadStream(clip), fileName: "keyed.mp4", size: statSync(clip).size, caption: "🎬 Your video" };

    fake.delayFileAnswers(3_000);
    await expect(outbox.sendVideo(to, video, { idempotencyKey: "video:item-1" })).rejects.toBeDefined();
    const retried = await outbox.sendVideo(to, video, { idempotencyKey: "video:item-1" });
    await fake.waitFor(() => (fake.heldAnswers === 0 ? true : undefined), 10_000, "the late answer");

    const withVideo = fake.store.messagesIn(fake.channelId).filter((m) => m.files.some((f) => f.name === "keyed.mp4"));
    expect(withVideo).toHaveLength(1);
    expect(retried.messageId).toBe(`ch:${fake.channelId}:${withVideo[0]!.id}`);
    expect(fake.store.requests.filter((r) => r.method === "POST" && r.bodyText.includes("keyed.mp4"))).toHaveLength(2);
    // Another item's video is another message.
    await outbox.sendVideo(to, video, { idempotencyKey: "video:item-2" });
    expect(fake.store.messagesIn(fake.channelId).filter((m) => m.files.some((f) => f.name === "keyed.mp4"))).toHaveLength(2);
  });

  it("with a key, where the app may not post in the channel, the video goes through the interaction's webhook", async () => {
    const outbox = createDiscordOutbox({ apiRoot: fake.apiRoot, token: BOT_TOKEN, requestTimeoutMs: 5_000, uploadTimeoutMs: 5_000, logger: silentLogger });
    const interaction = fake.runCommand({ name: "export", userId: "200000000000000004", guildId: fake.guildId });
    await deferInFake(fake, interaction);
    const to = handleFor(fake, interaction);
    await outbox.sendText(to, "📦 Sending your video…");
    fake.denyChannel(interaction.channelId);
    const size = statSync(clip).size;
    await outbox.sendVideo(to, { open: () => createReadStream(clip), fileName: "hooked.mp4", size }, { idempotencyKey: "video:item-3" });
    const withVideo = fake.repliesTo(interaction.id).filter((m) => m.files.some((f) => f.name === "hooked.mp4"));
    expect(withVideo.map((m) => m.via)).toEqual(["webhook"]);
  });
});
