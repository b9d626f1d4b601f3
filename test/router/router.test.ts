import { createReadStream, mkdtempSync, statSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisAccounts, RedisPreferences } from "../../src/accounts/index.js";
import type { SessionRef } from "../../src/accounts/types.js";
import type { ChatAttachment, ChatMessage } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { createLogger, silentLogger } from "../../src/log.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { MessageRateLimit, RedisQuotas } from "../../src/quota/index.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { UpdateClaims } from "../../src/chat/update-claims.js";
import { createRouter, type Router } from "../../src/router/index.js";
import type { CancelOneOutcome, CancelOutcome, WorkEnvelope, WorkItem, WorkOverviewItem, WorkQueue } from "../../src/work/types.js";
import { makeTestClip } from "../helpers/media.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { emulatorCounts } from "../helpers/emulator-counts.js";

const BOT = "NemoCutBot";
const TIMING = { turnStepMs: 5, heartbeatMs: 20, renderMs: 100, heartbeatOnlyMs: 2_000 };
const MB = 1024 * 1024;

/** Our own WorkQueue interface, recorded: what the router handed to the jobs, in order. */
class RecordingWorkQueue implements WorkQueue {
  readonly submitted: WorkEnvelope[] = [];
  readonly cancels: SessionRef[] = [];
  cancelOutcome: CancelOutcome = "nothing";
  async submit(envelope: WorkEnvelope): Promise<{ position: number }> {
    const ahead = this.submitted.filter(
      (e) => e.session.userKey === envelope.session.userKey && e.session.chatId === envelope.session.chatId,
    ).length;
    this.submitted.push(envelope);
    return { position: ahead };
  }
  async cancel(session: SessionRef): Promise<CancelOutcome> {
    this.cancels.push(session);
    return this.cancelOutcome;
  }
  async overview(): Promise<WorkOverviewItem[]> {
    return [];
  }
  async cancelOne(): Promise<CancelOneOutcome> {
    return { outcome: "not-found" };
  }
  items(): WorkItem[] {
    return this.submitted.map((e) => e.item);
  }
}

let redis: Redis;
let emulator: Emulator;
let nemo: NemoClient;
let clipPath: string;
const logLines: string[] = [];

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: TIMING });
  nemo = createNemoClient(loadConfig({ NEMO_API_BASE: emulator.url, RETRY_AFTER_429_MS: "10" }), {
    source: "video-making-ai",
    version: "1.9",
  });
  clipPath = await makeTestClip(mkdtempSync(join(tmpdir(), "router-")));
});
const counts = () => emulatorCounts(emulator);

afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

interface Bot {
  router: Router;
  outbox: RecordingOutbox;
  work: RecordingWorkQueue;
  accounts: RedisAccounts;
  prefix: string;
}

function makeBot(env: Record<string, string> = {}, options: { tokenKey?: Buffer | null; messageRate?: boolean } = {}): Bot {
  const prefix = uniquePrefix("router");
  const config = loadConfig({ NEMO_API_BASE: emulator.url, ...env });
  const tokenKey = options.tokenKey === null ? undefined : (options.tokenKey ?? randomBytes(32));
  const accounts = new RedisAccounts({ redis, prefix, nemo, tokenKey, operatorToken: config.NEMO_TOKEN, lock: { pollMs: 5 } });
  const outbox = new RecordingOutbox();
  const work = new RecordingWorkQueue();
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });
  const router = createRouter({
    config,
    accounts,
    nemo,
    work,
    outbox: () => outbox,
    skill: skillProfile(config.SKILL_PROFILE),
    quotas: new RedisQuotas({
      redis,
      prefix,
      limits: { turnsPerHour: config.TURNS_PER_HOUR ?? 0, exportsPerHour: config.EXPORTS_PER_HOUR ?? 0, uploadsPerHour: config.UPLOADS_PER_HOUR },
    }),
    ...(options.messageRate
      ? {
          messageRate: new MessageRateLimit({
            redis,
            prefix,
            limiter: new SharedRateLimiter(redis, silentLogger),
            rate: { perMinute: config.MESSAGES_PER_MINUTE, burst: config.MESSAGE_BURST },
          }),
        }
      : {}),
    preferences: new RedisPreferences(redis, prefix),
    claims: new UpdateClaims(redis, prefix),
    logger,
    botUsername: () => BOT,
  });
  return { router, outbox, work, accounts, prefix };
}

let seq = 0;
function message(over: Partial<ChatMessage> = {}): ChatMessage {
  seq += 1;
  const platform = over.platform ?? "telegram";
  const userId = over.userId ?? "1";
  const chatId = over.chatId ?? userId;
  const chatKind = over.chatKind ?? "private";
  return {
    platform,
    threadId: `${platform}:${chatId}:`,
    chatId,
    messageId: String(1000 + seq),
    userKey: `${platform}:${userId}`,
    userId,
    userName: undefined,
    chatKind,
    addressed: true,
    text: "",
    attachments: [],
    locale: "en",
    replyTo: { platform, chatId, threadId: `${platform}:${chatId}:`, chatKind },
    raw: {},
    ...over,
  };
}

/** A fresh user id per test, so every test starts as a new user. */
function newUserId(): string {
  return `${Date.now() % 100000}${(seq += 1)}`;
}

function clip(name: string, size: number, mimeType?: string): ChatAttachment {
  return { id: `file-${name}`, name, size, mimeType, kind: "video", source: { type: "platform-file", platform: "telegram", fileId: `file-${name}` } };
}

beforeEach(() => {
  logLines.length = 0;
  emulator.faults.clear();
});

type Expectation = { reply: RegExp; queued?: undefined } | { reply?: undefined; queued: WorkItem[] } | { silent: true };

const CUT = "cut out silences, add background music, and export as a 60-second highlight reel";

/** [what happens, the message, what the user sees or what is queued] */
const ROUTES: Array<[string, Partial<ChatMessage>, Expectation]> = [
  ["/start greets with the skill's examples", { text: "/start" }, { reply: /raw footage[\s\S]*export 1080p MP4/ }],
  ["/start in Chinese", { text: "/start", locale: "zh-CN" }, { reply: /原始素材[\s\S]*可以这样说/ }],
  ["/help lists commands and limits", { text: "/help" }, { reply: /\/export[\s\S]*\/token[\s\S]*500 MB/ }],
  ["credits inline", { text: "credits" }, { reply: /100 available \/ 0 frozen \/ 100 total/ }],
  ["/credits inline", { text: "/credits" }, { reply: /available/ }],
  ["积分 in Chinese", { text: "积分", locale: "zh-CN" }, { reply: /可用 100 \/ 冻结 0 \/ 总计 100/ }],
  ["余额 from an English-language app is answered in Chinese", { text: "余额", locale: "en" }, { reply: /可用 100 \/ 冻结 0 \/ 总计 100/ }],
  ["the credits button", { text: "", button: "credits" }, { reply: /available/ }],
  ["status shows the timeline", { text: "status" }, { reply: /timeline is empty/ }],
  ["/timeline@bot in a group", { text: "/timeline@NemoCutBot", chatKind: "group", chatId: "-100" }, { reply: /timeline is empty/ }],
  ["/export queues an export", { text: "/export" }, { queued: [{ kind: "export" }] }],
  ["export 1080p mp4 queues an export", { text: "export 1080p mp4" }, { queued: [{ kind: "export" }] }],
  ["导出 queues an export", { text: "导出", locale: "zh-CN" }, { queued: [{ kind: "export" }] }],
  ["an edit is a turn", { text: "make it black and white" }, { queued: [{ kind: "turn", text: "make it black and white", exportAfter: false }] }],
  ["an edit that asks for the video exports after", { text: CUT }, { queued: [{ kind: "turn", text: CUT, exportAfter: true }] }],
  ["add the credits at the end is an edit", { text: "add the credits at the end" }, { queued: [{ kind: "turn", text: "add the credits at the end", exportAfter: false }] }],
  [
    "a clip with a caption: upload, then the edit",
    { attachments: [clip("a.mp4", 10 * MB)], text: "make it a reel" },
    { queued: [{ kind: "upload", attachments: [clip("a.mp4", 10 * MB)] }, { kind: "turn", text: "make it a reel", exportAfter: false }] },
  ],
  [
    "a clip captioned export: upload, then export",
    { attachments: [clip("a.mov", MB)], text: "export" },
    { queued: [{ kind: "upload", attachments: [clip("a.mov", MB)] }, { kind: "export" }] },
  ],
  ["a clip alone: upload", { attachments: [clip("v", MB, "video/mp4")] }, { queued: [{ kind: "upload", attachments: [clip("v", MB, "video/mp4")] }] }],
  ["an unsupported file: the formats, nothing queued", { attachments: [clip("setup.exe", MB)], text: "edit this" }, { reply: /can't use that file type.*mp4, mov, avi/ }],
  ["a file too large: the limit and how to trim, nothing queued", { attachments: [clip("big.mp4", 600 * MB)] }, { reply: /500 MB.*Trim/ }],
  ["upload without a file: how to send one", { text: "upload" }, { reply: /send the file here/ }],
  ["上传 without a file", { text: "上传", locale: "zh-CN" }, { reply: /直接在这里发送文件/ }],
  ["an unknown command", { text: "/frobnicate" }, { reply: /don't know \/frobnicate/ }],
  ["a group message not addressed to the bot", { text: "export", chatKind: "group", chatId: "-100", addressed: false }, { silent: true }],
  ["a command for another bot", { text: "/export@OtherBot", chatKind: "group", chatId: "-100" }, { silent: true }],
  ["an empty message gets a hint, not silence", { text: "" }, { reply: /Send me a clip/ }],
  ["/lang without a choice", { text: "/lang" }, { reply: /answering in English.*\/lang zh/ }],
  ["/token without a value says which account is used", { text: "/token" }, { reply: /free starter account/ }],
];

describe("the router table", () => {
  it.each(ROUTES)("%s", async (_name, over, expected) => {
    const bot = makeBot();
    await bot.router.handle(message({ userId: newUserId(), ...over }));
    if ("silent" in expected) {
      expect(bot.outbox.entries).toEqual([]);
      expect(bot.work.submitted).toEqual([]);
    } else if (expected.reply) {
      expect(bot.outbox.texts().join("\n")).toMatch(expected.reply);
      expect(bot.work.submitted).toEqual([]);
    } else {
      expect(bot.work.items()).toEqual(expected.queued);
      expect(bot.outbox.texts()).toEqual([]);
    }
  });

  it("hands the jobs a complete envelope: session, reply handle, language, a unique id", async () => {
    const bot = makeBot();
    const msg = message({ userId: newUserId(), chatId: "-55", chatKind: "group", text: "/export", locale: "zh-CN" });
    await bot.router.handle(msg);
    await bot.router.handle({ ...msg, text: "trim it", messageId: "2" });
    const [first, second] = bot.work.submitted;
    expect(first).toMatchObject({
      session: { platform: "telegram", userKey: msg.userKey, chatId: "-55", locale: "zh-CN" },
      replyTo: msg.replyTo,
      locale: "zh-CN",
      item: { kind: "export" },
    });
    expect(typeof first?.receivedAt).toBe("number");
    expect(first?.id).not.toBe(second?.id);
    // The second item waits behind the first: the work queue says so in its status message
    // (test/jobs/place-in-line.test.ts), not the router in a message of its own.
    expect(bot.outbox.texts()).toEqual([]);
  });

  it("/cancel asks the queue and says what happened", async () => {
    const bot = makeBot();
    const userId = newUserId();
    bot.work.cancelOutcome = "cancelled-queued";
    await bot.router.handle(message({ userId, text: "/cancel" }));
    bot.work.cancelOutcome = "nothing";
    await bot.router.handle(message({ userId, text: "cancel" }));
    expect(bot.work.cancels.map((s) => s.userKey)).toEqual([`telegram:${userId}`, `telegram:${userId}`]);
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/dropped/), expect.stringMatching(/Nothing to cancel/)]);
  });

  it("/new starts a fresh session", async () => {
    const bot = makeBot();
    const userId = newUserId();
    const ref: SessionRef = { platform: "telegram", userKey: `telegram:${userId}`, chatId: userId, locale: "en" };
    const before = await bot.accounts.session(ref);
    await bot.router.handle(message({ userId, text: "/new" }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/Fresh project/)]);
    expect((await bot.accounts.session(ref)).sessionId).not.toBe(before.sessionId);
  });
});

describe("language", () => {
  it("/lang overrides the platform's language until /lang auto", async () => {
    const bot = makeBot();
    const userId = newUserId();
    await bot.router.handle(message({ userId, text: "/lang zh" }));
    await bot.router.handle(message({ userId, text: "credits" }));
    await bot.router.handle(message({ userId, text: "/lang auto" }));
    await bot.router.handle(message({ userId, text: "credits" }));
    expect(bot.outbox.texts()).toEqual([
      "好的，以后我用简体中文回复。",
      expect.stringMatching(/^💳 积分：可用/),
      "OK, I'll follow your app's language.",
      expect.stringMatching(/^💳 Credits: /),
    ]);
  });
});

describe("/token", () => {
  it("in a group: refused, the message deleted, the token never echoed nor stored", async () => {
    const bot = makeBot();
    const userId = newUserId();
    const secret = `nmv_usr_${randomBytes(12).toString("hex")}`;
    const msg = message({ userId, chatId: "-77", chatKind: "group", text: `/token ${secret}` });
    await bot.router.handle(msg);
    expect(bot.outbox.transcript()).toContain(`deleted message ${msg.messageId}`);
    expect(bot.outbox.texts().join("\n")).toMatch(/Never share a token in a group.*deleted/);
    expect(bot.outbox.transcript()).not.toContain(secret);
    expect(await bot.accounts.tokenKind(`telegram:${userId}`)).toBe("anonymous");
  });

  it("in private: verified, stored sealed, the message deleted, confirmed without the value, and used from then on", async () => {
    const bot = makeBot();
    const userId = newUserId();
    const secret = (await nemo.anonymousToken(randomUUID())).token;
    const msg = message({ userId, text: `/token ${secret}` });
    await bot.router.handle(msg);
    await bot.router.handle(message({ userId, text: "/token" }));
    expect(bot.outbox.transcript()).toContain(`deleted message ${msg.messageId}`);
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/Saved.*deleted your message/), expect.stringMatching(/your own NemoVideo token/)]);
    expect(bot.outbox.transcript()).not.toContain(secret);
    expect(logLines.join("")).not.toContain(secret);
    expect(await bot.accounts.withToken(`telegram:${userId}`, async (auth, kind) => [auth.token, kind])).toEqual([secret, "user"]);
    for (const key of await redis.keys(`${bot.prefix}:*`)) {
      const values = (await redis.type(key)) === "hash" ? Object.values(await redis.hgetall(key)) : [await redis.get(key)];
      for (const value of values) expect(value).not.toContain(secret.slice(8, 20));
    }
  });

  it("a token NemoVideo refuses is not saved", async () => {
    const bot = makeBot();
    const userId = newUserId();
    await bot.router.handle(message({ userId, text: "/token nmv_usr_not_a_real_one_123456" }));
    expect(bot.outbox.texts().join("\n")).toMatch(/did not accept that token/);
    expect(await bot.accounts.tokenKind(`telegram:${userId}`)).toBe("anonymous");
  });

  it.each([
    ["too long", `nmv_usr_${"a".repeat(600)}`, "en", /can't be a NemoVideo token.*at most 512.*deleted your message/],
    ["100 KB", "x".repeat(100_000), "en", /can't be a NemoVideo token/],
    ["with CR/LF inside", "nmv_usr_abc\r\nX-Injected: 1", "en", /no spaces or line breaks/],
    ["with a space inside", "nmv_usr_abc def", "zh-CN", /这不可能是 NemoVideo 令牌.*512.*已删除你的消息/],
    ["with quotes and a semicolon", 'nmv_usr_ab"c;d', "en", /can't be a NemoVideo token/],
  ] as const)("a value that can never be a token (%s) is refused, never stored nor sent to NemoVideo", async (_name, value, locale, answer) => {
    const bot = makeBot();
    const userId = newUserId();
    const before = counts();
    const msg = message({ userId, locale, text: `/token ${value}` });
    await bot.router.handle(msg);
    expect(bot.outbox.texts().join("\n")).toMatch(answer);
    expect(bot.outbox.transcript()).toContain(`deleted message ${msg.messageId}`);
    expect(await bot.accounts.tokenKind(`telegram:${userId}`)).toBe("anonymous");
    expect(counts().requests).toBe(before.requests);
  });

  it("without a TOKEN_KEY: refused with a clear message, the message still deleted", async () => {
    const bot = makeBot({}, { tokenKey: null });
    const msg = message({ userId: newUserId(), text: "/token nmv_usr_abcdef" });
    await bot.router.handle(msg);
    expect(bot.outbox.texts().join("\n")).toMatch(/can't store personal tokens.*TOKEN_KEY.*deleted/);
    expect(bot.outbox.transcript()).toContain(`deleted message ${msg.messageId}`);
  });
});

describe("access and quotas", () => {
  it("answers only allowlisted users and chats, before anything costs", async () => {
    const bot = makeBot({ ALLOWED_USERS: "telegram:424242", ALLOWED_CHATS: "-900" });
    const before = counts();
    await bot.router.handle(message({ userId: "5", text: "credits" }));
    await bot.router.handle(message({ userId: "5", text: "make it pop" }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/private/), expect.stringMatching(/private/)]);
    expect(bot.work.submitted).toEqual([]);
    expect(counts().requests).toBe(before.requests);
    await bot.router.handle(message({ userId: "424242", text: "make it pop" }));
    await bot.router.handle(message({ userId: "6", chatId: "-900", chatKind: "group", text: "/export" }));
    expect(bot.work.items()).toEqual([{ kind: "turn", text: "make it pop", exportAfter: false }, { kind: "export" }]);
  });

  it("stops a user at the hourly edit limit and says when more come", async () => {
    const bot = makeBot({ TURNS_PER_HOUR: "2", EXPORTS_PER_HOUR: "1" });
    const userId = newUserId();
    for (const text of ["trim it", "add music", "add captions"]) await bot.router.handle(message({ userId, text }));
    expect(bot.work.items()).toHaveLength(2);
    expect(bot.outbox.texts().at(-1)).toMatch(/used your 2 edits for this hour; more at \d\d:00 UTC \(in \d+ min\)/);
    await bot.router.handle(message({ userId, text: "/export" }));
    await bot.router.handle(message({ userId, text: "/export" }));
    expect(bot.work.items().filter((i) => i.kind === "export")).toHaveLength(1);
    expect(bot.outbox.texts().at(-1)).toMatch(/used your 1 exports/);
    // Another user has their own allowance.
    await bot.router.handle(message({ userId: newUserId(), text: "trim it" }));
    expect(bot.work.items()).toHaveLength(4);
  });
});

describe("failures", () => {
  it("a backend failure in a quick intent becomes words, and handle() never throws", async () => {
    const bot = makeBot();
    emulator.faults.add({ kind: "server-error", route: "credits", times: 3 });
    await expect(bot.router.handle(message({ userId: newUserId(), text: "credits" }))).resolves.toBeUndefined();
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/not answering right now. Nothing was lost/)]);
    expect(bot.outbox.transcript()).not.toMatch(/\{|nmv_|at \w+ \(/);
  });

  it("a refused starter account tells the user to set their own token", async () => {
    const bot = makeBot();
    emulator.faults.add({ kind: "anonymous-limit", times: 2 });
    await bot.router.handle(message({ userId: newUserId(), text: "status" }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/\/token/)]);
  });

  it("a chat that cannot be written to does not crash the handler", async () => {
    const bot = makeBot();
    bot.outbox.failNext("sendText", new Error("chat is gone"));
    bot.outbox.failNext("sendText", new Error("chat is gone"));
    await expect(bot.router.handle(message({ userId: newUserId(), text: "/help" }))).resolves.toBeUndefined();
    expect(logLines.join("")).toMatch(/could not tell the user/);
  });
});

describe("users and sessions end to end", () => {
  it("two messages arriving together from a new user make one token and one session", async () => {
    const bot = makeBot();
    const userId = newUserId();
    const before = counts();
    await Promise.all([
      bot.router.handle(message({ userId, text: "status" })),
      bot.router.handle(message({ userId, text: "show tracks" })),
      bot.router.handle(message({ userId, text: "credits" })),
    ]);
    const after = counts();
    expect(after.tokens - before.tokens).toBe(1);
    expect(after.sessions - before.sessions).toBe(1);
    expect(bot.outbox.texts()).toHaveLength(3);
  });

  it("two users never see each other's session or timeline", async () => {
    const bot = makeBot();
    const alice = newUserId();
    const bob = newUserId();
    // Alice has a clip on her timeline (uploaded straight to her session, as the upload job would).
    const aliceRef: SessionRef = { platform: "telegram", userKey: `telegram:${alice}`, chatId: "-300", locale: "en" };
    await bot.accounts.withSession(aliceRef, (s) =>
      nemo.uploadFiles(s.auth, s.sessionId, [{ fileName: "alice.mp4", open: () => createReadStream(clipPath), size: statSync(clipPath).size, contentType: "video/mp4" }]),
    );
    const group = { chatId: "-300", chatKind: "group" as const };
    await bot.router.handle(message({ userId: alice, ...group, text: "status" }));
    await bot.router.handle(message({ userId: bob, ...group, text: "status" }));
    const [aliceSees, bobSees] = bot.outbox.texts();
    expect(aliceSees).toMatch(/Timeline \(1 track\)/);
    expect(bobSees).toMatch(/timeline is empty/);
    // Alice's timeline is a picture with an export button; Bob's empty one is words, with no export button.
    expect(bot.outbox.entries[0]).toMatchObject({ type: "photo", buttons: [{ intent: "export" }, { intent: "timeline-refresh" }] });
    expect(bot.outbox.entries[1]).toMatchObject({ type: "text", buttons: [{ intent: "timeline-refresh" }] });
    const bobRef = { ...aliceRef, userKey: `telegram:${bob}` };
    expect((await bot.accounts.session(bobRef)).sessionId).not.toBe((await bot.accounts.session(aliceRef)).sessionId);
  });
});

describe("invisible and huge text", () => {
  it.each([
    ["zero-width spaces", "\u200b\u200b\u200b"],
    ["direction marks and overrides", "\u200e\u200f\u202e\u2066\u2069"],
    ["control characters", "\u0000\u0007\u001b\u007f\u0085"],
    ["a BOM, a word joiner and a zero-width joiner", "\ufeff\u2060\u200d"],
    ["Hangul fillers and a braille blank", "\u3164\u115f\u2800"],
  ])("a message of only %s is answered with what the bot takes, and never becomes a turn", async (_name, text) => {
    const bot = makeBot();
    const before = counts();
    await bot.router.handle(message({ userId: newUserId(), text }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/Send me a clip/)]);
    expect(bot.work.items()).toEqual([]);
    expect(counts().requests).toBe(before.requests);
  });

  it("a request keeps its words but loses its invisible characters", async () => {
    const bot = makeBot();
    await bot.router.handle(message({ userId: newUserId(), text: "make\u200b it \u202epop\u0007" }));
    expect(bot.work.items()).toEqual([expect.objectContaining({ kind: "turn", text: "make it pop" })]);
  });

  it.each([
    ["en", /too long for me: at most 4096 characters/],
    ["zh-CN", /这条消息太长了：最多 4096 个字符/],
  ] as const)("a text over 4,096 characters is refused with an answer (%s), not forwarded", async (locale, answer) => {
    const bot = makeBot();
    const before = counts();
    await bot.router.handle(message({ userId: newUserId(), locale, text: "make it pop ".repeat(8_334) }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(answer)]);
    expect(bot.work.items()).toEqual([]);
    expect(counts().requests).toBe(before.requests);
  });

  it("4,096 characters (emoji counted once) still go through", async () => {
    const bot = makeBot();
    await bot.router.handle(message({ userId: newUserId(), text: `make it pop ${"🎬".repeat(4_084)}` }));
    expect(bot.work.items().map((item) => item.kind)).toEqual(["turn"]);
  });

  it("a caption over 4,096 characters refuses the upload with the same answer", async () => {
    const bot = makeBot();
    await bot.router.handle(message({ userId: newUserId(), text: "x".repeat(4_097), attachments: [clip("a.mp4", MB)] }));
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/too long for me/)]);
    expect(bot.work.items()).toEqual([]);
  });
});

describe("floods", () => {
  it("one user's burst of quick commands: the first ones answered, the limit said once, others unaffected", async () => {
    const bot = makeBot({ MESSAGES_PER_MINUTE: "6", MESSAGE_BURST: "5" }, { messageRate: true });
    const flooder = newUserId();
    const before = counts();
    for (let i = 0; i < 30; i++) await bot.router.handle(message({ userId: flooder, text: "credits" }));
    const said = bot.outbox.texts();
    // The burst, plus at most one more if the clock ticked past an interval (10 s) meanwhile.
    const answered = said.filter((t) => /Credits: \d+ available/.test(t)).length;
    expect(answered).toBeGreaterThanOrEqual(5);
    expect(answered).toBeLessThanOrEqual(6);
    expect(said.filter((t) => /a lot of messages at once/.test(t))).toHaveLength(1);
    expect(counts().requests - before.requests).toBeLessThanOrEqual(6 * 2);
    // Another person is not slowed by it.
    const other = newUserId();
    await bot.router.handle(message({ userId: other, text: "credits", chatId: other }));
    expect(bot.outbox.texts().at(-1)).toMatch(/Credits: \d+ available/);
  });

  it("every kind of message counts (an upload, an edit, a command), and the answer is in the user's language", async () => {
    const bot = makeBot({ MESSAGES_PER_MINUTE: "1", MESSAGE_BURST: "2" }, { messageRate: true });
    const userId = newUserId();
    await bot.router.handle(message({ userId, locale: "zh-CN", text: "", attachments: [clip("a.mp4", MB)] }));
    await bot.router.handle(message({ userId, locale: "zh-CN", text: "make it pop" }));
    await bot.router.handle(message({ userId, locale: "zh-CN", text: "/help" }));
    await bot.router.handle(message({ userId, locale: "zh-CN", text: "", attachments: [clip("b.mp4", MB)] }));
    expect(bot.work.items().map((item) => item.kind)).toEqual(["upload", "turn"]);
    expect(bot.outbox.texts()).toEqual([expect.stringMatching(/消息发得太快了/)]);
  });

  it("uploads have an hourly quota per user, answered in words", async () => {
    const bot = makeBot({ UPLOADS_PER_HOUR: "2" });
    const userId = newUserId();
    for (const name of ["a.mp4", "b.mp4", "c.mp4"]) await bot.router.handle(message({ userId, text: "", attachments: [clip(name, MB)] }));
    expect(bot.work.items().map((item) => item.kind)).toEqual(["upload", "upload"]);
    expect(bot.outbox.texts().join("\n")).toMatch(/You've sent your 2 uploads for this hour/);
  });
});
