import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes, formatList } from "../../src/chat/error-text.js";
import { messages } from "../../src/i18n/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { clipAttachment } from "../fixtures/fault-chat.js";
import { startFaultApp, type FaultApp } from "../fixtures/fault-app.js";
import { startTelegramFaultApp, type TelegramFaultApp } from "../fixtures/fault-telegram-app.js";
import { testRedisEnv } from "../helpers/redis.js";

/**
 * Bad chat input through the real router (and, for a few, the Telegram adapter against the fake):
 * each is answered clearly, nothing crashes, and nothing is queued that should not be.
 */

const en = messages("en");
const skill = skillProfile("video-making-ai");
const HUNDRED_KB = 100 * 1024;
/** An edit padded to 100 KB, as a paste gone wrong would be. */
const hugeText = `add the title "Long" ${"and please keep everything else exactly as it is ".repeat(Math.ceil(HUNDRED_KB / 49))}`.slice(0, HUNDRED_KB);
const controlText = 'add the title "Ctl\u0000\u0007\u001b[31mRed\u0008\u007f" \r\n\u0085';
const rtlText = 'add the title "\u202Eשלום עולם مرحبا\u202C"';
const surrogateText = 'add the title "half \ud83d a smile \udc00"';

describe("through the router", () => {
  let f: FaultApp;
  beforeAll(async () => {
    f = await startFaultApp({ redis: testRedisEnv() });
  });
  afterAll(async () => {
    await f.close();
  });

  it("an unsupported file: the accepted formats, nothing uploaded or queued", async () => {
    const user = f.newUser();
    const uploads = f.emulator.counters.requests("upload");
    await f.chat.say(user, "make a reel", {
      attachments: [{ ...clipAttachment(f.clip, `pdf-${user}`, "brief.pdf"), mimeType: "application/pdf", kind: "document" }],
    });
    expect(f.said(user)).toEqual([en.errUnsupportedFile({ formats: formatList(skill.acceptedFormats) })]);
    expect(await f.hasQueuedWork(user)).toBe(false);
    expect(f.emulator.counters.requests("upload")).toBe(uploads);
  });

  it("a file over the limit: the limit and how to trim it, nothing queued", async () => {
    const user = f.newUser();
    await f.chat.say(user, "", { attachments: [{ ...clipAttachment(f.clip, `big-${user}`), size: skill.maxFileBytes + 1 }] });
    expect(f.said(user)).toEqual([en.errFileTooLarge({ limit: formatBytes(skill.maxFileBytes) })]);
    expect(await f.hasQueuedWork(user)).toBe(false);
  });

  it("an empty message (only spaces and newlines): a hint, nothing queued, nothing sent to the editor, and the chat goes on", async () => {
    const user = f.newUser();
    const calls = f.emulator.counters.runSseTotal();
    await f.chat.say(user, "  \n\t \u200B ".replace("\u200B", ""));
    expect(f.said(user)).toEqual([en.emptyHint]);
    expect(await f.hasQueuedWork(user)).toBe(false);
    expect(f.emulator.counters.runSseTotal()).toBe(calls);
    await f.chat.say(user, "credits");
    await f.outbox.waitFor(/Credits: \d+ available/, { chatId: user, type: "text" });
  });

  it("100 KB of text: refused with an answer, never sent to the editor", async () => {
    const { user, sessionId } = await f.userWithClip();
    await f.chat.say(user, hugeText);
    expect(f.said(user).some((t) => /too long for me: at most 4096 characters/.test(t))).toBe(true);
    expect(f.emulator.counters.runSse(sessionId, hugeText)).toBe(0);
    expect(f.emulator.session(sessionId)?.messages ?? []).toHaveLength(0);
  });

  it.each([
    ["control characters", controlText],
    ["right-to-left text and an override mark", rtlText],
    ["lone surrogates", surrogateText],
  ])("%s: the edit is done and answered, once", async (_name, text) => {
    const { user, sessionId } = await f.userWithClip();
    await f.chat.say(user, text);
    await f.outbox.waitFor(en.turnDone, { chatId: user, type: "status", timeoutMs: 20_000 });
    expect(f.said(user).some((t) => /Done/.test(t) && t !== en.turnDone)).toBe(true);
    expect(f.emulator.session(sessionId)?.messages).toHaveLength(1);
  });
});

describe("through the Telegram adapter and the fake Bot API", () => {
  let t: TelegramFaultApp;
  beforeAll(async () => {
    t = await startTelegramFaultApp({ redis: testRedisEnv() });
  });
  afterAll(async () => {
    await t.close();
  });
  let chat = 6_100_000 + Math.floor(Math.random() * 100_000);

  it("100 KB of text: refused in words, and the bot keeps answering", async () => {
    chat += 1;
    t.fake.userSends({ chatId: chat, text: hugeText });
    await t.fake.waitForMessage(chat, /too long for me/, 20_000);
    t.fake.userSends({ chatId: chat, text: "credits" });
    await t.fake.waitForMessage(chat, /Credits: \d+ available/);
  });

  it("a PDF: the formats list, no download, no upload", async () => {
    chat += 1;
    t.fake.userSends({ chatId: chat, document: { bytes: Buffer.from("%PDF-1.4 not a video"), fileName: "brief.pdf", mime: "application/pdf" } });
    await t.fake.waitForMessage(chat, /mp4, mov, avi, webm, mkv/);
    expect(t.fake.calls("getFile")).toHaveLength(0);
    expect(t.emulator.counters.requests("upload")).toBe(0);
  });

  it.each([
    ["control characters", controlText],
    ["right-to-left text", rtlText],
    ["lone surrogates", surrogateText],
  ])("%s: answered in the chat, and the bot keeps answering", async (_name, text) => {
    chat += 1;
    t.fake.userSends({ chatId: chat, text });
    // No clip yet: the editor asks for one, in words; the status message ends.
    await t.fake.waitForMessage(chat, /Upload a clip|don't see any video/i, 20_000);
    await t.fake.waitForMessage(chat, /Done/, 20_000);
    t.fake.userSends({ chatId: chat, text: "credits" });
    await t.fake.waitForMessage(chat, /Credits: \d+ available/);
  });
});
