import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkQueue } from "../../jobs/index.js";
import { mailboxKeys, sessionKeyOf } from "../../jobs/keys.js";
import type { ChatMessage, Locale } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { messages } from "../../src/i18n/index.js";
import { silentLogger } from "../../src/log.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { createRouter } from "../../src/router/index.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { routerDeps } from "../helpers/router-deps.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * A session's mailbox holds at most MAILBOX_MAX_ITEMS waiting items (default 50): the next message
 * is refused in the user's language, and nothing is queued for it.
 */

let redis: Redis;
let emulator: Emulator;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity });
});
afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

function message(userId: string, text: string, locale: Locale): ChatMessage {
  return {
    platform: "telegram",
    threadId: `telegram:${userId}:`,
    chatId: userId,
    messageId: String(Math.random()).slice(2),
    userKey: `telegram:${userId}`,
    userId,
    userName: undefined,
    chatKind: "private",
    addressed: true,
    text,
    attachments: [],
    locale,
    replyTo: { platform: "telegram", chatId: userId, threadId: `telegram:${userId}:`, chatKind: "private" },
    raw: {},
  };
}

describe("a mailbox's length is capped", () => {
  it("the default cap is 50", () => {
    expect(loadConfig({}).MAILBOX_MAX_ITEMS).toBe(50);
  });

  it.each(["en", "zh-CN"] as const)("the message past the cap is refused in %s, and nothing is queued for it (no worker runs here)", async (locale) => {
    const texts = messages(locale);
    const prefix = uniquePrefix("cap");
    const config = loadConfig({ NEMO_API_BASE: emulator.url, QUEUE_PREFIX: prefix, MAILBOX_MAX_ITEMS: "3" });
    const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
    const outbox = new RecordingOutbox();
    const work = createWorkQueue({ connection: testRedisUrl(), prefix, logger: silentLogger, maxItems: config.MAILBOX_MAX_ITEMS });
    const router = createRouter(routerDeps({ redis, prefix, config, nemo, work, outbox }));
    const user = locale === "en" ? "9501" : "9502";
    try {
      // No worker takes anything: the first item waits as "current"-to-be, the rest pile up.
      for (let i = 0; i < 4; i += 1) await router.handle(message(user, `make it shorter ${i}`, locale));
      const queued = await redis.llen(mailboxKeys(prefix, sessionKeyOf({ userKey: `telegram:${user}`, chatId: user })).queue);
      expect(queued).toBe(3);
      expect(outbox.texts(user)).toContain(texts.mailboxFull({ waiting: 3 }));
      // /cancel still answers, and frees the mailbox.
      await router.handle(message(user, "/cancel", locale));
      await router.handle(message(user, "add upbeat music", locale));
      expect(await redis.llen(mailboxKeys(prefix, sessionKeyOf({ userKey: `telegram:${user}`, chatId: user })).queue)).toBe(1);
    } finally {
      await work.close();
    }
  });
});
