import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createWorkQueue } from "../../jobs/index.js";
import { mailboxKeys, sessionKeyOf } from "../../jobs/keys.js";
import type { ChatMessage } from "../../src/chat/message.js";
import type { Outbox } from "../../src/chat/outbox.js";
import type { UpdateClaims } from "../../src/chat/update-claims.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { messages } from "../../src/i18n/index.js";
import { silentLogger } from "../../src/log.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { createRouter, type Router } from "../../src/router/index.js";
import type { WorkEnvelope, WorkQueue } from "../../src/work/types.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { routerDeps } from "../helpers/router-deps.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * A bot process can die at any point of handling an update; the platform then hands the update to
 * the next process (Telegram: it was never confirmed). Whatever the point, the update's work is
 * queued exactly once and a quick answer is not lost. A "dead" process here is a router whose next
 * step never returns (nothing after it happens), sharing Redis with the "next process" (a second
 * router), as two bot processes would.
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

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

function message(userId: string, updateId: number, text: string, withClip = false): ChatMessage {
  return {
    platform: "telegram",
    threadId: `telegram:${userId}:`,
    chatId: userId,
    messageId: String(updateId),
    userKey: `telegram:${userId}`,
    userId,
    userName: undefined,
    chatKind: "private",
    addressed: true,
    text,
    attachments: withClip
      ? [{ id: `file-${updateId}`, name: "clip.mp4", size: 1000, mimeType: "video/mp4", kind: "video", source: { type: "platform-file", platform: "telegram", fileId: `file-${updateId}` } }]
      : [],
    locale: "en",
    replyTo: { platform: "telegram", chatId: userId, threadId: `telegram:${userId}:`, chatKind: "private" },
    updateKey: `telegram:1:${updateId}`,
    raw: {},
  };
}

interface Process {
  router: Router;
  outbox: RecordingOutbox;
  close(): Promise<void>;
}

/** One bot process's router over the shared Redis; `dies` wraps its work queue, outbox or claims at the step where it dies. */
function botProcess(
  prefix: string,
  dies: { work?: (real: WorkQueue) => WorkQueue; outbox?: (real: RecordingOutbox) => Outbox; claims?: (real: UpdateClaims) => UpdateClaims } = {},
): Process {
  const config = loadConfig({ NEMO_API_BASE: emulator.url, QUEUE_PREFIX: prefix });
  const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
  const outbox = new RecordingOutbox();
  const work = createWorkQueue({ connection: testRedisUrl(), prefix, logger: silentLogger });
  const deps = routerDeps({ redis, prefix, config, nemo, work, outbox });
  const router = createRouter({
    ...deps,
    work: dies.work ? dies.work(work) : work,
    outbox: () => (dies.outbox ? dies.outbox(outbox) : outbox),
    claims: dies.claims ? dies.claims(deps.claims) : deps.claims,
  });
  return { router, outbox, close: () => work.close() };
}

/** A work queue that dies at its `n`th submit (counted from 1): that submit and everything after never happen. */
function diesAtSubmit(n: number, reached: () => void) {
  return (real: WorkQueue): WorkQueue => {
    let calls = 0;
    return {
      ...real,
      submit: (envelope, from) => {
        calls += 1;
        if (calls < n) return real.submit(envelope, from);
        reached();
        return never();
      },
    };
  };
}

async function queued(prefix: string, user: string): Promise<WorkEnvelope[]> {
  const key = mailboxKeys(prefix, sessionKeyOf({ userKey: `telegram:${user}`, chatId: user })).queue;
  return (await redis.lrange(key, 0, -1)).map((json) => JSON.parse(json) as WorkEnvelope);
}

describe("an update handled by a process that dies, then handed to the next one", () => {
  it("died before queueing its turn: the next process queues it, once", async () => {
    const prefix = uniquePrefix("once-before");
    let reached = false;
    const dying = botProcess(prefix, { work: diesAtSubmit(1, () => (reached = true)) });
    const next = botProcess(prefix);
    try {
      const update = message("9701", 501, "make the intro shorter");
      void dying.router.handle(update);
      await vi.waitFor(() => expect(reached).toBe(true), { timeout: 10_000, interval: 10 });
      await next.router.handle(update);
      await next.router.handle(update);
      const items = await queued(prefix, "9701");
      expect(items.map((i) => i.item)).toEqual([{ kind: "turn", text: "make the intro shorter", exportAfter: false }]);
    } finally {
      await Promise.all([dying.close(), next.close()]);
    }
  });

  it("died after queueing its turn and before saying so: the next process does not queue it again", async () => {
    const prefix = uniquePrefix("once-after");
    let reached = false;
    // Its turn queued (and the update marked handled in that same step), then nothing more happens.
    const dying = botProcess(prefix, {
      work: (real) => ({
        ...real,
        submit: async (envelope, from) => {
          await real.submit(envelope, from);
          reached = true;
          return never();
        },
      }),
    });
    const next = botProcess(prefix);
    try {
      const update = message("9702", 502, "add upbeat music");
      void dying.router.handle(update);
      await vi.waitFor(() => expect(reached).toBe(true), { timeout: 10_000, interval: 10 });
      await next.router.handle(update);
      expect(await queued(prefix, "9702")).toHaveLength(1);
    } finally {
      await Promise.all([dying.close(), next.close()]);
    }
  });

  it("died between a clip's upload and its caption's edit: the next process queues the edit, after that upload", async () => {
    const prefix = uniquePrefix("once-caption");
    let reached = false;
    const dying = botProcess(prefix, { work: diesAtSubmit(2, () => (reached = true)) });
    const next = botProcess(prefix);
    try {
      const update = message("9703", 503, "cut it to 3 seconds", true);
      void dying.router.handle(update);
      await vi.waitFor(() => expect(reached).toBe(true), { timeout: 10_000, interval: 10 });
      await next.router.handle(update);
      await next.router.handle(update);
      const items = await queued(prefix, "9703");
      expect(items.map((i) => i.item.kind)).toEqual(["upload", "turn"]);
      // The edit still waits for the clip the first process queued.
      expect(items[1]?.dependsOn).toBe(items[0]?.id);
    } finally {
      await Promise.all([dying.close(), next.close()]);
    }
  });

  it("died before answering /help: the next process answers it, once", async () => {
    const prefix = uniquePrefix("once-quick");
    let reached = false;
    const dying = botProcess(prefix, {
      outbox: (real) =>
        Object.assign(Object.create(real) as RecordingOutbox, {
          sendText: () => {
            reached = true;
            return never();
          },
        }),
    });
    const next = botProcess(prefix);
    try {
      const update = message("9704", 504, "/help");
      void dying.router.handle(update);
      await vi.waitFor(() => expect(reached).toBe(true), { timeout: 10_000, interval: 10 });
      await next.router.handle(update);
      await next.router.handle(update);
      const help = messages("en").help({ formats: "x", maxSize: "y" }).split("\n")[0] ?? "";
      expect(next.outbox.texts("9704").filter((t) => t.startsWith(help))).toHaveLength(1);
    } finally {
      await Promise.all([dying.close(), next.close()]);
    }
  });
});
