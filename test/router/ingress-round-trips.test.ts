import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { silentLogger } from "../../src/log.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { MessageRateLimit } from "../../src/quota/message-rate.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { createRouter } from "../../src/router/index.js";
import { createWorkQueue } from "../../jobs/queues.js";
import { UpdateClaims } from "../../src/chat/update-claims.js";
import type { WorkQueue } from "../../src/work/types.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { routerDeps } from "../helpers/router-deps.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/** A new user's first text in a private chat, as the Telegram adapter hands it to the router. */
function newUsersTurn(userId: string): ChatMessage {
  return {
    platform: "telegram",
    threadId: `telegram:${userId}:`,
    chatId: userId,
    messageId: "1",
    userKey: `telegram:${userId}`,
    userId,
    userName: undefined,
    chatKind: "private",
    addressed: true,
    text: "make it shorter",
    attachments: [],
    locale: "en",
    replyTo: { platform: "telegram", chatId: userId, threadId: `telegram:${userId}:`, chatKind: "private" },
    updateKey: `telegram:1:${userId}`,
    raw: {},
  };
}

/**
 * Ingress cost: a new user's message used to wait for three answers from Redis in a row before it
 * was queued (the update's state, the user's language, their message rate). They are independent:
 * they are read (and the rate's slot taken) by one script, one command.
 */

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity });
});
afterAll(async () => {
  await emulator.close();
});

describe("ingress round trips", () => {
  it("the update's state, the language and the rate are one command, answered before anything else is sent", async () => {
    const prefix = uniquePrefix("ingress");
    const redis = new Redis(testRedisUrl());
    // What this client sends and when each answer arrives, in order (observed, sent unchanged).
    const events: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command, stream) => {
      // A script is told by its first key (the update's claim, the user's message rate).
      const name = command.name.toLowerCase().startsWith("eval") ? `eval ${String(command.args[2])}` : command.name.toLowerCase();
      events.push(`send ${name}`);
      void command.promise.then(
        () => events.push(`answer ${name}`),
        () => events.push(`answer ${name}`),
      );
      return send(command, stream);
    };
    const config = loadConfig({ NEMO_API_BASE: emulator.url, QUEUE_PREFIX: prefix, MESSAGES_PER_MINUTE: "30" });
    const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
    const submitted: string[] = [];
    const work: WorkQueue = {
      async submit(envelope) {
        submitted.push(envelope.id);
        return { position: 0 };
      },
      async cancel() {
        return "nothing";
      },
      async overview() {
        return [];
      },
      async cancelOne() {
        return { outcome: "not-found" };
      },
    };
    const router = createRouter({
      ...routerDeps({ redis, prefix, config, nemo, work, outbox: new RecordingOutbox() }),
      messageRate: new MessageRateLimit({ redis, prefix, limiter: new SharedRateLimiter(redis, silentLogger), rate: { perMinute: 30, burst: 5 } }),
    });
    await redis.ping();
    events.length = 0;
    const message = newUsersTurn("9601");
    try {
      await router.handle(message);
      expect(submitted).toHaveLength(1);
      const firstAnswer = events.findIndex((e) => e.startsWith("answer"));
      // One script (told by its first key, the update's claim) reads the update's state and the
      // language and takes the message's slot in the rate: no HGET, no limiter script of their own.
      expect(events.slice(0, firstAnswer)).toEqual([`send eval ${prefix}:update:telegram:1:9601`]);
      expect(events.filter((e) => e === "send hget" || e.startsWith(`send eval ${prefix}:msgrate:`))).toEqual([]);
      // The rate was counted all the same: the user's scope in the limiter holds the slot taken.
      expect(Number(await redis.get(`${prefix}:msgrate:telegram:9601`))).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  });

  it("a new user's turn is marked handled in the step that queues it: no command of its own follows", async () => {
    const prefix = uniquePrefix("ingress-mark");
    const redis = new Redis(testRedisUrl());
    const config = loadConfig({ NEMO_API_BASE: emulator.url, QUEUE_PREFIX: prefix });
    const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
    const work = createWorkQueue({ connection: testRedisUrl(), prefix, logger: silentLogger });
    const router = createRouter(routerDeps({ redis, prefix, config, nemo, work, outbox: new RecordingOutbox() }));
    // What the router's own connection sends after the update's state, the language and the rate.
    const sent: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command, stream) => {
      sent.push(command.name.toLowerCase());
      return send(command, stream);
    };
    const message = newUsersTurn("9602");
    try {
      await router.handle(message);
      // Given time to send a mark of its own, were it to.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sent).not.toContain("set");
      // Handled all the same: a re-delivery is dropped.
      expect(await new UpdateClaims(redis, prefix).state("telegram:1:9602")).toEqual({ handled: true, queuedItems: 1 });
    } finally {
      await work.close();
      await redis.quit();
    }
  });
});
