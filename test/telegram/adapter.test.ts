import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTestClip, makeTestImage } from "../helpers/media.js";
import { startHarness, type Harness } from "./harness.js";
import { silentLogger } from "../../src/log.js";
import { createMetrics } from "../../src/ops/metrics.js";
import { startHttpServer } from "../../src/ops/http-server.js";

const MB = 1024 * 1024;
let dir: string;
let clip: string;
let image: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tg-adapter-"));
  clip = await makeTestClip(dir);
  image = await makeTestImage(dir, { name: "still.jpg" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Telegram updates become chat messages", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it("a private text keeps who, where, the message id and the user's language", async () => {
    const { messageId } = h.fake.userSends({ chatId: 501, text: "make it brighter", languageCode: "zh-hans", firstName: "Lin" });
    const m = await h.nextMessage();
    expect(m).toMatchObject({
      platform: "telegram",
      chatId: "501",
      threadId: "telegram:501:",
      userKey: "telegram:501",
      userName: "Lin",
      messageId: String(messageId),
      chatKind: "private",
      addressed: true,
      text: "make it brighter",
      attachments: [],
      locale: "zh-CN",
    });
    expect(m.replyTo).toMatchObject({ platform: "telegram", chatId: "501", chatKind: "private" });
    // In a private chat the bot posts plainly rather than quoting every message.
    expect(m.replyTo.data?.replyToMessageId).toBeUndefined();
  });

  it("a command addressed to this bot by name loses the @name", async () => {
    h.fake.userSends({ chatId: 502, text: `/export@${h.fake.botUsername} 1080p` });
    expect((await h.nextMessage()).text).toBe("/export 1080p");
  });

  it("a captioned video carries the caption and a Telegram file reference, never a URL", async () => {
    h.fake.userSends({ chatId: 503, caption: "cut to 30 seconds and format it for Reels", video: { path: clip, duration: 2, width: 320, height: 240 } });
    const m = await h.nextMessage();
    expect(m.text).toBe("cut to 30 seconds and format it for Reels");
    expect(m.attachments).toHaveLength(1);
    const [video] = m.attachments;
    expect(video).toMatchObject({ kind: "video", mimeType: "video/mp4", duration: 2, width: 320, height: 240 });
    expect(video?.source).toMatchObject({ type: "platform-file", platform: "telegram" });
    expect(JSON.stringify(m.attachments)).not.toContain(h.fake.token);
    expect(JSON.stringify(m.attachments)).not.toContain("http");
  });

  it("a photo is one attachment: the largest size", async () => {
    h.fake.userSends({ chatId: 504, photo: { path: image, width: 1280, height: 960 } });
    const m = await h.nextMessage();
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ kind: "image", width: 1280, height: 960, mimeType: "image/jpeg" });
  });

  it("documents that are videos, images or audio become those kinds; audio and animations come through", async () => {
    h.fake.userSends({ chatId: 505, document: { bytes: Buffer.from("mov"), fileName: "holiday.MOV", mime: "video/quicktime" } });
    expect((await h.nextMessage()).attachments[0]).toMatchObject({ kind: "video", name: "holiday.MOV" });
    h.fake.userSends({ chatId: 505, document: { bytes: Buffer.from("png"), fileName: "logo.png", mime: "image/png" } });
    expect((await h.nextMessage()).attachments[0]).toMatchObject({ kind: "image" });
    h.fake.userSends({ chatId: 505, document: { bytes: Buffer.from("wav"), fileName: "voiceover.wav", mime: "audio/wav" } });
    expect((await h.nextMessage()).attachments[0]).toMatchObject({ kind: "audio" });
    h.fake.userSends({ chatId: 505, audio: { bytes: Buffer.from("mp3"), fileName: "song.mp3", mime: "audio/mpeg", duration: 3 } });
    expect((await h.nextMessage()).attachments[0]).toMatchObject({ kind: "audio", duration: 3 });
    h.fake.userSends({ chatId: 505, animation: { bytes: Buffer.from("gif"), fileName: "loop.mp4", mime: "video/mp4" } });
    const animation = await h.nextMessage();
    expect(animation.attachments).toHaveLength(1);
    expect(animation.attachments[0]).toMatchObject({ kind: "animation" });
  });

  it("an album arrives as one message with every file and the caption", async () => {
    h.fake.userSends({ chatId: 506, mediaGroupId: "alb1", caption: "make a slideshow", photo: { path: image } });
    h.fake.userSends({ chatId: 506, mediaGroupId: "alb1", photo: { path: image } });
    h.fake.userSends({ chatId: 506, mediaGroupId: "alb1", video: { path: clip } });
    h.fake.userSends({ chatId: 506, text: "and add music" });
    const album = await h.nextMessage();
    expect(album.text).toBe("make a slideshow");
    expect(album.attachments.map((a) => a.kind)).toEqual(["image", "image", "video"]);
    // The message after the album is handled after it, not before.
    expect((await h.nextMessage()).text).toBe("and add music");
    expect(h.received).toHaveLength(2);
  });

  it("a button press comes back as its intent and is answered", async () => {
    const sent = await h.adapter.outbox.sendText({ platform: "telegram", chatId: "507", threadId: "telegram:507:", chatKind: "private" }, "Done!", {
      buttons: [{ intent: "export", label: "Export" }],
    });
    const { callbackId } = h.fake.pressButton(507, Number(sent.messageId), "nemo:export", { languageCode: "en" });
    const m = await h.nextMessage();
    expect(m).toMatchObject({ button: "export", chatId: "507", userKey: "telegram:507", text: "", addressed: true });
    await h.fake.waitFor(() => h.fake.calls("answerCallbackQuery").find((c) => c.params.callback_query_id === callbackId), "the callback answered");
  });

  it("in a private chat a sticker, location, contact, poll, dice or venue is handed on, so it gets an answer", async () => {
    const chatId = 509;
    const sent = [
      h.fake.userSends({ chatId, sticker: { bytes: Buffer.from("webp"), mime: "image/webp" } }),
      h.fake.userSends({ chatId, content: { location: { latitude: 52.52, longitude: 13.405 } } }),
      h.fake.userSends({ chatId, content: { contact: { phone_number: "+4930123456", first_name: "Ada" } } }),
      h.fake.userSends({
        chatId,
        content: {
          poll: { id: "5", question: "Which cut?", options: [{ text: "A", voter_count: 0 }, { text: "B", voter_count: 0 }], total_voter_count: 0, is_closed: false, is_anonymous: true, type: "regular", allows_multiple_answers: false },
        },
      }),
      h.fake.userSends({ chatId, content: { dice: { emoji: "🎲", value: 4 } } }),
      h.fake.userSends({ chatId, content: { venue: { location: { latitude: 52.52, longitude: 13.405 }, title: "Studio", address: "Main St 1" } } }),
    ];
    for (const { messageId } of sent) {
      const m = await h.nextMessage((x) => x.messageId === String(messageId));
      expect(m).toMatchObject({ chatKind: "private", addressed: true, text: "", attachments: [] });
    }
  });

  it("a service message in a private chat (a pin, an auto-delete timer) is nobody's message to the bot", async () => {
    const chatId = 510;
    h.fake.userSends({ chatId, content: { pinned_message: { message_id: 1, date: 0, chat: { id: chatId, type: "private", first_name: "Ada" }, text: "pinned" } } });
    h.fake.userSends({ chatId, content: { message_auto_delete_timer_changed: { message_auto_delete_time: 86400 } } });
    const after = h.fake.userSends({ chatId, text: "credits" });
    const m = await h.nextMessage((x) => x.chatId === String(chatId));
    expect(m.messageId).toBe(String(after.messageId));
  });

  it("publishes the command menu in English and in Chinese", () => {
    const calls = h.fake.calls("setMyCommands");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.params.language_code).toBeUndefined();
    expect(calls[1]?.params.language_code).toBe("zh");
    const zh = calls[1]?.params.commands as { command: string; description: string }[];
    expect(zh.find((c) => c.command === "export")?.description).toMatch(/视频/);
  });

  it("never writes the bot token or a /token message into the log", async () => {
    h.fake.userSends({ chatId: 508, text: "/token nmv_usr_secretsecret" });
    await h.nextMessage();
    h.fake.userSends({ chatId: 508, video: { path: clip } });
    const m = await h.nextMessage();
    await h.adapter.openAttachment(m.attachments[0]!.source).then((s) => s.resume());
    const log = h.logLines.join("\n");
    expect(log).toContain("telegram adapter started");
    expect(log).not.toContain(h.fake.token);
    expect(log).not.toContain("nmv_usr_secretsecret");
  });
});

describe("a Bot API (or a proxy before it) that answers an error without a description", () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());
  const proxyError = { errorCode: 500, body: { message: "Internal Server Error" } };

  it("refusing setMyCommands as HTTP 500 {message} does not stop the bot: it starts, logs why and takes messages", async () => {
    h = await startHarness({ start: false });
    h.fake.failNext("setMyCommands", { ...proxyError, times: 2 });
    let handedOn: (text: string) => void = () => undefined;
    const received = new Promise<string>((resolve) => (handedOn = resolve));
    await h.adapter.start(async (message) => handedOn(message.text));
    h.fake.userSends({ chatId: 520, text: "credits" });
    expect(await received).toBe("credits");
    const warning = h.logLines.find((line) => line.includes("telegram setMyCommands failed"));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ error: { name: "GrammyError", method: "setMyCommands" } });
  });

  it("a getFile refused that way fails the download with a reason, not a TypeError", async () => {
    h = await startHarness();
    h.fake.userSends({ chatId: 521, video: { path: clip } });
    const m = await h.nextMessage();
    h.fake.failNext("getFile", proxyError);
    await expect(h.adapter.openAttachment(m.attachments[0]!.source)).rejects.toMatchObject({ name: "ChatError", code: "attachment_download_failed" });
  });
});

describe("in a group the bot listens only when addressed", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it("hands on commands, mentions and replies to the bot, and nothing else", async () => {
    const group = -1001;
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "lunch anyone?" });
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "/credits@some_other_bot" });
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: `@${h.fake.botUsername} cut it to 10 seconds` });
    const mention = await h.nextMessage();
    expect(mention).toMatchObject({ chatKind: "group", addressed: true, text: "cut it to 10 seconds", userKey: "telegram:4242" });
    // In a busy group the answer quotes the message it answers.
    expect(mention.replyTo.data?.replyToMessageId).toBe(Number(mention.messageId));
    expect(h.received).toHaveLength(1);

    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "/credits" });
    expect((await h.nextMessage()).text).toBe("/credits");

    await h.adapter.outbox.sendText(mention.replyTo, "Working on it");
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "make it faster", replyToBot: true });
    expect((await h.nextMessage()).text).toBe("make it faster");
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "nice bot" });
    h.fake.userSends({ chatId: group, chatType: "supergroup", text: "/status" });
    expect((await h.nextMessage()).text).toBe("/status");
    expect(h.received.map((m) => m.text)).toEqual(["cut it to 10 seconds", "/credits", "make it faster", "/status"]);
  });

  it("an album is judged as a whole: the mention in its caption addresses every file", async () => {
    const group = -1002;
    h.fake.userSends({ chatId: group, chatType: "group", mediaGroupId: "g1", photo: { path: image } });
    h.fake.userSends({ chatId: group, chatType: "group", mediaGroupId: "g2", caption: `@${h.fake.botUsername} combine these`, photo: { path: image } });
    h.fake.userSends({ chatId: group, chatType: "group", mediaGroupId: "g2", photo: { path: image } });
    const m = await h.nextMessage();
    expect(m.text).toBe("combine these");
    expect(m.attachments).toHaveLength(2);
    h.fake.userSends({ chatId: group, chatType: "group", text: "/status" });
    expect((await h.nextMessage()).text).toBe("/status");
    expect(h.received).toHaveLength(2);
  });

  it("a file nobody addressed to the bot gets no size or format complaint", async () => {
    const group = -1003;
    h.fake.userSends({ chatId: group, chatType: "group", video: { bytes: Buffer.from("x"), size: 80 * MB } });
    h.fake.userSends({ chatId: group, chatType: "group", document: { bytes: Buffer.from("%PDF"), fileName: "a.pdf", mime: "application/pdf" } });
    h.fake.userSends({ chatId: group, chatType: "group", text: "/help" });
    await h.nextMessage();
    expect(h.fake.messages(group)).toHaveLength(0);
  });
});

describe("size and type rules, before any download", () => {
  it("over 20 MB on the cloud Bot API: how to trim, and that a local server lifts the limit", async () => {
    const h = await startHarness();
    try {
      h.fake.userSends({ chatId: 601, caption: "cut it", video: { bytes: Buffer.from("x"), size: 35 * MB } });
      const answer = await h.fake.waitForMessage(601, /20 MB/);
      expect(answer.text).toMatch(/35 MB/);
      expect(answer.text).toMatch(/Trim/);
      expect(answer.text).toMatch(/local Bot API server/);
      h.fake.userSends({ chatId: 601, languageCode: "zh-CN", video: { bytes: Buffer.from("x"), size: 21 * MB } });
      await h.fake.waitForMessage(601, /本地 Bot API/);
      expect(h.fake.calls("getFile")).toHaveLength(0);
      expect(h.received).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  it("with a local Bot API server there is no 20 MB limit: big files go on to the router", async () => {
    const h = await startHarness({ local: true, skill: "video-generator-for-free-ai" });
    try {
      h.fake.userSends({ chatId: 602, video: { bytes: Buffer.from("x"), size: 150 * MB } });
      expect((await h.nextMessage()).attachments[0]?.size).toBe(150 * MB);
      expect(h.fake.messages(602)).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  it("leaves the skill's own rules to the router: a wrong type or a file over the skill's maximum is not told to trim to 20 MB", async () => {
    const h = await startHarness({ skill: "video-generator-for-free-ai" });
    try {
      h.fake.userSends({ chatId: 603, document: { bytes: Buffer.from("%PDF"), size: 30 * MB, fileName: "brief.pdf", mime: "application/pdf" } });
      expect((await h.nextMessage()).attachments[0]?.name).toBe("brief.pdf");
      h.fake.userSends({ chatId: 603, video: { bytes: Buffer.from("x"), size: 250 * MB } });
      expect((await h.nextMessage()).attachments[0]?.size).toBe(250 * MB);
      h.fake.userSends({ chatId: 603, voice: { bytes: Buffer.from("ogg"), mime: "audio/ogg" } });
      expect((await h.nextMessage()).attachments[0]).toMatchObject({ kind: "audio", mimeType: "audio/ogg" });
      expect(h.fake.messages(603)).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});

describe("webhook mode", () => {
  it("takes updates only with the secret token", async () => {
    const h = await startHarness({ env: { TELEGRAM_WEBHOOK_URL: "https://bot.example.test/telegram", TELEGRAM_WEBHOOK_SECRET: "s3cret-webhook" } });
    const { createServer } = await import("node:http");
    const handler = h.adapter.webhookHandler;
    expect(handler).toBeDefined();
    expect(h.adapter.webhookPath).toBe("/telegram");
    const server = createServer((req, res) => void handler?.(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // Telegram delivers at most max_connections updates at once (40 when unset): the bot asks for its most, 100.
      expect(h.fake.calls("setWebhook")[0]?.params).toMatchObject({ url: "https://bot.example.test/telegram", secret_token: "s3cret-webhook", max_connections: 100 });
      expect(h.fake.calls("getUpdates")).toHaveLength(0);
      const update = {
        update_id: 77,
        message: { message_id: 9, date: 1, chat: { id: 701, type: "private", first_name: "Ada" }, from: { id: 701, is_bot: false, first_name: "Ada" }, text: "credits" },
      };
      const post = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${port}/telegram`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(update) });
      expect((await post({})).status).toBe(401);
      expect((await post({ "x-telegram-bot-api-secret-token": "wrong" })).status).toBe(401);
      expect(h.received).toHaveLength(0);
      expect((await post({ "x-telegram-bot-api-secret-token": "s3cret-webhook" })).status).toBe(200);
      expect((await h.nextMessage()).text).toBe("credits");
      expect(h.adapter.healthy()).toBe(true);
    } finally {
      server.close();
      await h.close();
    }
    expect(h.adapter.healthy()).toBe(false);
  });
});

describe("webhook body limit", () => {
  it("refuses a body over 1 MB with 413 before parsing it, declared or chunked, and still takes updates", async () => {
    const secret = "s3cret-webhook";
    const h = await startHarness({ env: { TELEGRAM_WEBHOOK_URL: "https://bot.example.test/telegram", TELEGRAM_WEBHOOK_SECRET: secret } });
    const handler = h.adapter.webhookHandler;
    if (!handler) throw new Error("no webhook handler");
    const http = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      metrics: createMetrics(),
      health: async () => ({ ok: true, checks: {} }),
      routes: { "/telegram": handler },
      logger: silentLogger,
    });
    const url = `http://127.0.0.1:${http.port}/telegram`;
    const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret };
    // A valid JSON update padded past the limit: only its size is wrong.
    const big = JSON.stringify({ update_id: 90, message: { message_id: 1, date: 1, chat: { id: 702, type: "private" }, text: "x".repeat(2 * 1024 * 1024) } });
    try {
      const declared = await fetch(url, { method: "POST", headers, body: big });
      expect(declared.status).toBe(413);
      // No Content-Length: the body streams in chunks and is cut off once past 1 MB.
      const chunks = (async function* () {
        for (let sent = 0; sent < big.length; sent += 64 * 1024) yield new TextEncoder().encode(big.slice(sent, sent + 64 * 1024));
      })();
      const chunked = await fetch(url, { method: "POST", headers, body: ReadableStream.from(chunks), duplex: "half" } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(h.received).toHaveLength(0);
      // Just under the limit is fine.
      const update = { update_id: 91, message: { message_id: 2, date: 1, chat: { id: 702, type: "private", first_name: "Ada" }, from: { id: 702, is_bot: false, first_name: "Ada" }, text: "credits" } };
      const ok = await fetch(url, { method: "POST", headers, body: JSON.stringify(update) });
      expect(ok.status).toBe(200);
      expect((await h.nextMessage()).text).toBe("credits");
    } finally {
      await http.close();
      await h.close();
    }
  });
});

describe("long polling", () => {
  it("is healthy while running and stops cleanly", async () => {
    const h = await startHarness();
    expect(h.adapter.healthy()).toBe(true);
    const { updateId } = h.fake.userSends({ chatId: 801, text: "hello" });
    await h.nextMessage();
    await h.close();
    expect(h.adapter.healthy()).toBe(false);
    // The last call confirms what was handled, so a restart does not handle it again.
    const last = h.fake.calls("getUpdates").at(-1);
    expect(last?.params).toMatchObject({ offset: updateId + 1, timeout: 0 });
  });
});
