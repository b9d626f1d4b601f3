import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { queueNames } from "../../jobs/keys.js";
import { Lane } from "../../jobs/lanes.js";
import type { AttachmentSource, ReplyHandle } from "../../src/chat/message.js";
import type { SentRef } from "../../src/chat/outbox.js";
import { loadConfig } from "../../src/config.js";
import type { WorkEnvelope, WorkItem } from "../../src/work/types.js";
import { makeTestClip } from "../helpers/media.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { startHarness, until, type Harness } from "./harness.js";

/**
 * One worker process with the production limits: one user flooding from many chats, or a burst of
 * uploads, cannot make anyone else wait for a slot.
 */

const defaults = loadConfig({});
const DEFAULT_LIMITS = {
  WORKER_CONCURRENCY: String(defaults.WORKER_CONCURRENCY),
  UPLOAD_CONCURRENCY: String(defaults.UPLOAD_CONCURRENCY),
  CAPTURE_CONCURRENCY: String(defaults.CAPTURE_CONCURRENCY),
  MAX_SLOTS_PER_USER: String(defaults.MAX_SLOTS_PER_USER),
  MAX_SLOTS_PER_CHAT: String(defaults.MAX_SLOTS_PER_CHAT),
};

let n = 0;
function envelopeIn(user: number, chatId: string, chatKind: "private" | "group", item: WorkItem): WorkEnvelope {
  n += 1;
  return {
    id: `fair-${process.pid}-${n}`,
    session: { platform: "telegram", userKey: `telegram:${user}`, chatId, locale: "en" },
    replyTo: { platform: "telegram", chatId, threadId: `telegram:${chatId}:`, chatKind },
    locale: "en",
    item,
    receivedAt: Date.now(),
  };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("fair shares: one user flooding from 8 chats", () => {
  it("another user's item starts while the flooder's first turns are still streaming", async () => {
    const other = 7200;
    // Every status text in the order the worker showed it: an item has started when its status says "Thinking".
    const shown: Array<{ chatId: string; id: string; text: string }> = [];
    // How many turns had finished when the other user's item first showed "Thinking".
    let doneWhenOtherStarted: number | undefined;
    const outbox = new (class extends RecordingOutbox {
      override async upsertStatus(to: ReplyHandle, ref: SentRef | undefined, text: string): Promise<SentRef> {
        const sent = await super.upsertStatus(to, ref, text);
        shown.push({ chatId: to.chatId, id: sent.messageId, text });
        if (to.chatId === String(other) && /Thinking/.test(text)) doneWhenOtherStarted ??= h?.done.turns;
        return sent;
      }
    })();
    // Slow turns (each stream open for a second or more), as in the flood that found this.
    h = await startHarness({ config: DEFAULT_LIMITS, outbox, emulator: { timing: { turnStepMs: 200, heartbeatMs: 20, renderMs: 60, heartbeatOnlyMs: 60_000 } } });
    const flooder = 7100;
    const chats = Array.from({ length: 8 }, (_, i) => String(-5000 - i));
    const rounds = 2;
    const harness = h;
    for (let round = 0; round < rounds; round += 1) {
      await Promise.all(chats.map((chat) => harness.queue.submit(envelopeIn(flooder, chat, "group", { kind: "turn", text: `make it shorter (${round})` }))));
    }
    // Each item's status message, the first time it says "Thinking", in order.
    const startedItems = () => {
      const thinking = shown.filter((s) => /Thinking/.test(s.text));
      return thinking.filter((s, i) => thinking.findIndex((t) => t.id === s.id) === i);
    };
    const startedBeforeOtherSent = startedItems().length;
    await h.queue.submit(envelopeIn(other, String(other), "private", { kind: "turn", text: "add upbeat music" }));

    const total = chats.length * rounds + 1;
    await until(() => harness.done.turns >= total, 60_000, "every turn done");
    const started = startedItems();
    expect(started).toHaveLength(total);
    const otherAt = started.findIndex((s) => s.chatId === String(other));
    expect(otherAt).toBeGreaterThanOrEqual(startedBeforeOtherSent);
    // Once the other user has sent, the flooder starts at most about its share (2) more before the
    // other user's item starts; with one pool of slots it was a whole mailbox's worth per chat.
    expect(otherAt - startedBeforeOtherSent).toBeLessThanOrEqual(2 * defaults.MAX_SLOTS_PER_USER);
    // It did not wait for a slot: no flooder turn had finished yet. (With one pool of 8 slots, the
    // flooder's 8 streams held them all until the first one ended.)
    expect(doneWhenOtherStarted).toBe(0);
    // Nothing lost or run twice: every chat's three items, and the other user's one.
    expect(h.emulator.counters.runSseTotal()).toBe(total);
    for (const chat of chats) expect(started.filter((s) => s.chatId === chat)).toHaveLength(rounds);
  }, 90_000);
});

describe("lanes: uploads have a cap of their own", () => {
  let dir: string;
  let clip: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lanes-"));
    clip = await makeTestClip(dir, { seconds: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a burst of slow uploads runs at most UPLOAD_CONCURRENCY at once, and a turn does not wait behind them", async () => {
    const bytes = readFileSync(clip);
    let open = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The platform's file server, slow: each upload's bytes come once the test lets them.
    const openAttachment = async (_source: AttachmentSource): Promise<Readable> => {
      open += 1;
      most = Math.max(most, open);
      const stream = Readable.from(
        (async function* () {
          await gate;
          yield bytes;
        })(),
      );
      stream.once("close", () => (open -= 1));
      return stream;
    };
    h = await startHarness({ config: DEFAULT_LIMITS, openAttachment });
    const users = Array.from({ length: 8 }, (_, i) => 7300 + i);
    for (const user of users) {
      await h.queue.submit(
        envelopeIn(user, String(user), "private", {
          kind: "upload",
          attachments: [{ id: `up-${user}`, name: "clip.mp4", size: bytes.length, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
        }),
      );
    }
    const harness = h;
    await until(() => open >= defaults.UPLOAD_CONCURRENCY, 20_000, "the upload lane full");
    // The uploads waiting for a place wait parked: only those in the lane hold a worker slot (an
    // active job, whose worker's death would count against it as a stall).
    const sessions = new Queue(queueNames.session, { connection: harness.redis, prefix: harness.prefix });
    try {
      await until(async () => (await sessions.getActiveCount()) <= defaults.UPLOAD_CONCURRENCY, 10_000, "the waiting uploads parked");
    } finally {
      await sessions.close();
    }
    // A conversation is not in the upload lane: it runs while every upload place is taken.
    await h.queue.submit(envelopeIn(7400, "7400", "private", { kind: "turn", text: "add upbeat music" }));
    await until(() => harness.done.turns >= 1, 20_000, "the turn done while uploads wait");
    expect(harness.done.uploads).toBe(0);
    release();
    await until(() => harness.done.uploads >= users.length, 30_000, "every upload done");
    expect(most).toBe(defaults.UPLOAD_CONCURRENCY);
  }, 90_000);
});

describe("Lane", () => {
  it("serves waiters in arrival order and hands a released place straight on", async () => {
    const lane = new Lane(1);
    const first = await lane.acquire();
    const order: string[] = [];
    const b = lane.acquire().then((release) => {
      order.push("b");
      return release;
    });
    const c = lane.acquire().then((release) => {
      order.push("c");
      return release;
    });
    expect(lane.waiting).toBe(2);
    first();
    (await b)();
    (await c)();
    expect(order).toEqual(["b", "c"]);
    expect(lane.waiting).toBe(0);
  });

  it("a waiter that waited its most leaves the line with no place", async () => {
    const lane = new Lane(1);
    const held = await lane.acquire();
    expect(await lane.acquireWithin(20)).toBeUndefined();
    expect(lane.waiting).toBe(0);
    const next = lane.acquireWithin(5_000);
    held();
    const release = await next;
    expect(release).toBeTypeOf("function");
    release?.();
  });

  it("a waiter whose signal aborts leaves the line", async () => {
    const lane = new Lane(1);
    const held = await lane.acquire();
    const controller = new AbortController();
    const waiting = lane.acquire(controller.signal);
    controller.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    expect(lane.waiting).toBe(0);
    held();
    (await lane.acquire())();
  });
});
