import { copyFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationsKey, sessionKeyOf } from "../../jobs/keys.js";
import { LineKeeper } from "../../jobs/line/keeper.js";
import { RateLimitedError } from "../../src/errors.js";
import { renderEtaMs } from "../../jobs/line/estimate.js";
import { median } from "../../jobs/line/durations.js";
import { RedisPreferences } from "../../src/accounts/index.js";
import type { AttachmentSource, ChatAttachment, ChatMessage } from "../../src/chat/message.js";
import { UpdateClaims } from "../../src/chat/update-claims.js";
import { en } from "../../src/i18n/en.js";
import { zhCN } from "../../src/i18n/zh-CN.js";
import { silentLogger } from "../../src/log.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { createQuotas } from "../../src/quota/index.js";
import { createRouter, type Router } from "../../src/router/index.js";
import { placeWords, renderProgressWords } from "../../src/work/place-words.js";
import type { OutboxEntry } from "../helpers/recording-outbox.js";
import { makeTestClip } from "../helpers/media.js";
import { startHarness, until, type Harness } from "./harness.js";

/**
 * Places in line, through the real router, the real work queue and workers (BullMQ on the test
 * Redis) and the emulator: the status message says at once that an item waits and where, keeps
 * it current, estimates from the durations measured in Redis, and /status and /cancel 2 name items.
 */

/** Turns of a few steps of this long: slow enough that a line forms behind them. */
const SLOW_TURN = { turnStepMs: 700, heartbeatMs: 20, renderMs: 60, heartbeatOnlyMs: 60_000 };

let clipPath: string;
beforeAll(async () => {
  clipPath = await makeTestClip(mkdtempSync(join(tmpdir(), "line-")));
});

let seq = 0;
function message(user: number, text: string, attachments: ChatAttachment[] = []): ChatMessage {
  seq += 1;
  const chatId = String(user);
  return {
    platform: "telegram",
    threadId: `telegram:${chatId}:`,
    chatId,
    messageId: String(seq),
    userKey: `telegram:${user}`,
    userId: chatId,
    userName: undefined,
    chatKind: "private",
    addressed: true,
    text,
    attachments,
    locale: "en",
    replyTo: { platform: "telegram", chatId, threadId: `telegram:${chatId}:`, chatKind: "private" },
    raw: {},
  };
}

function clip(name: string): ChatAttachment {
  return { id: `file-${name}-${seq}`, name, size: statSync(clipPath).size, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clipPath } };
}

function routerOf(h: Harness): Router {
  return createRouter({
    config: h.config,
    accounts: h.accounts,
    nemo: h.nemo,
    work: h.queue,
    outbox: () => h.outbox,
    skill: skillProfile(h.config.SKILL_PROFILE),
    quotas: createQuotas(h.config, { redis: h.redis, prefix: h.prefix }),
    preferences: new RedisPreferences(h.redis, h.prefix),
    claims: new UpdateClaims(h.redis, h.prefix),
    logger: silentLogger,
  });
}

/** The status messages of one chat, oldest first. */
function statuses(h: Harness, user: number): Extract<OutboxEntry, { type: "status" }>[] {
  return h.outbox.entries.filter((e): e is Extract<OutboxEntry, { type: "status" }> => e.type === "status" && e.to.chatId === String(user));
}

/** The status message whose first words were `first`. */
function statusThatSaid(h: Harness, user: number, first: string): Extract<OutboxEntry, { type: "status" }> | undefined {
  return statuses(h, user).find((s) => s.history[0] === first);
}

/** The places a status message said, each once, in order: [2, 1] for "2 ahead", "1 ahead", "1 ahead · about 5 s". */
function placesShown(history: string[]): number[] {
  const places = history.flatMap((text) => {
    if (text.startsWith("⏳ Queued: you're next")) return [0];
    const match = /^⏳ Queued: (\d+) ahead of you/.exec(text);
    return match ? [Number(match[1])] : [];
  });
  return places.filter((place, i) => place !== places[i - 1]);
}

/** How many of a status message's first texts were its place in line. */
function placesAnnounced(history: string[]): number {
  const index = history.findIndex((text) => !text.startsWith("⏳ Queued"));
  return index === -1 ? history.length : index;
}

async function seed(h: Harness, kind: string, ms: number[]): Promise<void> {
  await h.redis.lpush(durationsKey(h.prefix, kind), ...ms.map(String));
}

describe("the words", () => {
  it("say the place, and a number only when there is an estimate", () => {
    expect(placeWords(en, { ahead: 2, etaMs: 40_000 })).toBe("⏳ Queued: 2 ahead of you · about 40 s");
    expect(placeWords(en, { ahead: 2, etaMs: undefined })).toBe("⏳ Queued: 2 ahead of you");
    expect(placeWords(en, { ahead: 0, etaMs: 90_000 })).toBe("⏳ Queued: you're next · about 2 min");
    expect(placeWords(zhCN, { ahead: 2, etaMs: 40_000 })).toBe("⏳ 排队中：前面还有 2 项 · 约 40 秒");
  });

  it("give a render's time left from the rate between two progress readings", () => {
    // 10% → 40% in 30 s: 1% a second, 60% to go.
    const left = renderEtaMs({ percent: 10, at: 0 }, { percent: 40, at: 30_000 });
    expect(left).toBe(60_000);
    expect(renderProgressWords(en, 40, left)).toBe("▓▓▓▓░░░░░░ 40% · about 1 min left");
    expect(renderProgressWords(zhCN, 40, left)).toBe("▓▓▓▓░░░░░░ 40% · 还剩约 1 分钟");
    // No movement yet: no figure.
    expect(renderEtaMs({ percent: 5, at: 0 }, { percent: 5, at: 10_000 })).toBeUndefined();
    expect(renderProgressWords(en, 5, undefined)).toBe("▓░░░░░░░░░ 5%");
  });

  it("take the median, so one very long item does not skew the estimate", () => {
    expect(median([10, 900, 12])).toBe(12);
    expect(median([10, 20])).toBe(15);
    expect(median([])).toBeUndefined();
  });
});

describe("a user's items behind their earlier ones", () => {
  let h: Harness;
  let router: Router;
  beforeAll(async () => {
    h = await startHarness({ emulator: { timing: SLOW_TURN } });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("say so at once with the right count, and the count goes down as the items before finish", async () => {
    const user = 7101;
    await router.handle(message(user, 'add the title "one"'));
    await h.outbox.waitFor(en.thinking, { chatId: String(user), type: "status" });
    await router.handle(message(user, 'add the title "two"'));
    // Nothing measured in this fresh Redis: the words give no number.
    expect(statuses(h, user).at(-1)?.text).toBe("⏳ Queued: 1 ahead of you");
    await router.handle(message(user, 'add the title "three"'));
    expect(statuses(h, user).at(-1)?.text).toBe("⏳ Queued: 2 ahead of you");

    const third = statusThatSaid(h, user, "⏳ Queued: 2 ahead of you");
    await until(() => third?.text === en.turnDone, 30_000, "the third item done");
    // One message, from its place in line to its end: 2 ahead, then 1 (with an estimate once the
    // first turn's duration was measured), then the turn's own words.
    expect(placesShown(third?.history ?? [])).toEqual([2, 1]);
    expect(third?.history[placesAnnounced(third?.history ?? [])]).toBe(en.thinking);
    expect(third?.history.at(-1)).toBe(en.turnDone);
    const second = statusThatSaid(h, user, "⏳ Queued: 1 ahead of you");
    expect(placesShown(second?.history ?? [])).toEqual([1]);
    expect(second?.history[placesAnnounced(second?.history ?? [])]).toBe(en.thinking);
    // Three items, three status messages: none posted twice.
    expect(statuses(h, user)).toHaveLength(3);
  });

  it("estimate from the medians measured in Redis, per kind of item", async () => {
    const user = 7102;
    // Seven typical turns and one very long one; the three short turns of the test above are in the window too.
    await seed(h, "turn", [20_000, 19_000, 21_000, 400_000, 20_000, 20_000, 20_000, 20_000]);
    await seed(h, "upload", [10_000, 10_000, 11_000]);
    await router.handle(message(user, 'add the title "first"'));
    await h.outbox.waitFor(en.thinking, { chatId: String(user), type: "status" });
    await router.handle(message(user, "", [clip("b.mp4")]));
    await router.handle(message(user, 'add the title "last"'));
    const [, upload, last] = statuses(h, user);
    // The running turn's median (20 s) less the moment it has run, then the upload's (10 s).
    expect(upload?.history[0]).toBe("⏳ Queued: 1 ahead of you · about 20 s");
    expect(last?.history[0]).toBe("⏳ Queued: 2 ahead of you · about 30 s");
    await until(() => last?.text === en.turnDone, 30_000, "the last item done");
    expect(last?.history).toContain("⏳ Queued: 1 ahead of you · about 10 s");
  });

  it("record what they measure, shared through Redis", async () => {
    // The items of the tests above ran: their durations are in the rolling window.
    await until(async () => (await h.redis.llen(durationsKey(h.prefix, "turn"))) === 8 + 5, 5_000, "five turns measured");
    await until(async () => (await h.redis.llen(durationsKey(h.prefix, "upload"))) === 3 + 1, 5_000, "one upload measured");
  });

  it("/status lists what is running and waiting with the same words, and /cancel 2 cancels that one only", async () => {
    const user = 7103;
    await router.handle(message(user, 'add the title "keep me"'));
    await h.outbox.waitFor(en.thinking, { chatId: String(user), type: "status" });
    await router.handle(message(user, 'add the title "drop me"'));
    await router.handle(message(user, 'add the title "keep me too"'));
    await router.handle(message(user, "/status"));
    const list = h.outbox.entries.filter((e) => e.type === "text" && e.to.chatId === String(user)).at(-1);
    expect(list?.type === "text" && list.text).toMatch(
      /^Your work in this chat:\n1\. ✏️ "add the title "keep me""\n {3}▶️ Running.*\n2\. ✏️ "add the title "drop me""\n {3}⏳ Queued: 1 ahead of you.*\n3\. ✏️ "add the title "keep me too""\n {3}⏳ Queued: 2 ahead of you/,
    );

    await router.handle(message(user, "/cancel 2"));
    await h.outbox.waitFor('🛑 Cancelled: ✏️ "add the title "drop me""', { chatId: String(user), type: "text" });
    const dropped = statuses(h, user).find((s) => s.history[0]?.startsWith("⏳ Queued: 1 ahead"));
    const kept = statuses(h, user).find((s) => s.history[0]?.startsWith("⏳ Queued: 2 ahead"));
    await until(() => dropped?.text === en.queuedCancelled, 10_000, "the cancelled item's status");
    await until(() => kept?.text === en.turnDone, 30_000, "the kept item done");
    // The other item moved up a place and ran; the cancelled one never reached the editor.
    expect(placesShown(kept?.history ?? [])).toEqual([2, 1]);
    const sessionId = await h.sessionIdOf({ platform: "telegram", userKey: `telegram:${user}`, chatId: String(user), locale: "en" });
    expect(h.emulator.session(sessionId)?.messages).toEqual(['add the title "keep me"', 'add the title "keep me too"']);

    await router.handle(message(user, "/status"));
    await h.outbox.waitFor(en.statusNothing, { chatId: String(user), type: "text" });
  });

  it("/cancel names a running turn it cannot stop, and something that is not there", async () => {
    const user = 7104;
    await router.handle(message(user, 'add the title "running"'));
    await h.outbox.waitFor(en.thinking, { chatId: String(user), type: "status" });
    await router.handle(message(user, "/cancel 1"));
    await h.outbox.waitFor(en.cancelRunningItem({ item: '✏️ "add the title "running""' }), { chatId: String(user), type: "text" });
    await router.handle(message(user, "/cancel 5"));
    await h.outbox.waitFor(en.cancelNoSuchItem({ which: "5" }), { chatId: String(user), type: "text" });
  });

  it("a turn that waited goes to the backend without waiting for its first edit (a busy platform can hold it a minute)", async () => {
    const user = 7105;
    await router.handle(message(user, 'add the title "first"'));
    await h.outbox.waitFor(en.thinking, { chatId: String(user), type: "status" });
    await router.handle(message(user, 'add the title "held"'));
    const queued = statuses(h, user).at(-1);
    if (!queued?.text.startsWith("⏳ Queued: 1 ahead of you")) throw new Error("the second turn said nothing about its place");
    // Every edit of the queued status now waits, as it would behind 2,000 others at 30 a second.
    const release = h.outbox.holdEditsOf(queued.id);
    try {
      const sessionId = await h.sessionIdOf({ platform: "telegram", userKey: `telegram:${user}`, chatId: String(user), locale: "en" });
      await until(() => h.emulator.counters.runSse(sessionId, 'add the title "held"') === 1, 20_000, "the waiting turn at the backend while its edit is held");
      expect(queued.history).not.toContain(en.thinking);
    } finally {
      release();
    }
    await until(() => queued.text === en.turnDone, 30_000, "the held turn done");
    expect(queued.history[placesAnnounced(queued.history)]).toBe(en.thinking);
  });
});

/**
 * An upload whose file server answers only when the test says so, per attachment id: it holds its
 * worker slot (and its user's fair share) until then. A turn's open stream holds neither: the
 * stream hub reads it while its job is parked, so only work such as an upload makes others wait.
 */
function gatedUploads(): { openAttachment: (source: AttachmentSource) => Promise<Readable>; release: (path: string) => void } {
  const gates = new Map<string, () => void>();
  const opened = new Map<string, Promise<void>>();
  const gateOf = (path: string): Promise<void> => {
    let gate = opened.get(path);
    if (!gate) {
      gate = new Promise<void>((resolve) => gates.set(path, resolve));
      opened.set(path, gate);
    }
    return gate;
  };
  return {
    async openAttachment(source) {
      const path = source.type === "local-path" ? source.path : "";
      const gate = gateOf(path);
      return Readable.from(
        (async function* () {
          await gate;
          yield readFileSync(path);
        })(),
      );
    },
    release(path) {
      void gateOf(path);
      gates.get(path)?.();
    },
  };
}

/** A clip of its own (its path names the upload's gate). */
function gatedClip(dir: string, name: string): ChatAttachment {
  const path = join(dir, `${name}.mp4`);
  copyFileSync(clipPath, path);
  return { id: `file-${name}`, name: `${name}.mp4`, size: statSync(path).size, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path } };
}

describe("every worker slot busy", () => {
  let h: Harness;
  let router: Router;
  let dir: string;
  const gated = gatedUploads();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slots-"));
    h = await startHarness({ emulator: { timing: SLOW_TURN }, config: { WORKER_CONCURRENCY: "1" }, openAttachment: gated.openAttachment });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("an item with nothing of its own before it says it waits for others' work, and moves up as it finishes", async () => {
    const [a, b, c] = [7301, 7302, 7303];
    const [first, second] = [gatedClip(dir, "holding-the-slot"), gatedClip(dir, "second")];
    await router.handle(message(a, "", [first]));
    await until(() => statuses(h, a).length > 0, 10_000, "the first upload running");
    await router.handle(message(b, "", [second]));
    await h.outbox.waitFor("⏳ Queued: you're next", { chatId: String(b), type: "status" });
    await router.handle(message(c, 'add the title "third"'));
    await h.outbox.waitFor("⏳ Queued: 1 ahead of you", { chatId: String(c), type: "status" });

    gated.release(first.source.type === "local-path" ? first.source.path : "");
    await h.outbox.waitFor("⏳ Queued: you're next", { chatId: String(c), type: "status" });
    gated.release(second.source.type === "local-path" ? second.source.path : "");
    const [cStatus] = statuses(h, c);
    await until(() => cStatus?.text === en.turnDone, 30_000, "the third user's turn done");
    expect(placesShown(cStatus?.history ?? [])).toEqual([1, 0]);
    expect(cStatus?.history[placesAnnounced(cStatus?.history ?? [])]).toBe(en.thinking);
    const [bStatus] = statuses(h, b);
    expect(placesShown(bStatus?.history ?? [])).toEqual([0]);
    expect(statuses(h, b)).toHaveLength(1);
  });

  it("a turn's open stream holds no slot: the next user's turn goes to the backend while it streams", async () => {
    const [a, b] = [7311, 7312];
    const sessionA = await h.sessionIdOf({ platform: "telegram", userKey: `telegram:${a}`, chatId: String(a), locale: "en" });
    h.emulator.faults.add({ kind: "heartbeat-only", sessionId: sessionA });
    await router.handle(message(a, "hold the line"));
    await until(() => h.emulator.counters.runSse(sessionA, "hold the line") === 1, 10_000, "the first turn streaming");
    await router.handle(message(b, 'add the title "not behind it"'));
    await until(() => statuses(h, b)[0]?.text === en.turnDone, 30_000, "the second user's turn done while the first still streams");
    expect(statuses(h, a)[0]?.text).not.toBe(en.turnDone);
    expect(h.emulator.counters.runSse(sessionA, "hold the line")).toBe(1);
  });
});

// Said by the producer's look at a new item, or else by the workers' sweep: the look can find the
// drainer just taken up by a worker, a moment before the worker turns it away for the user's share.
describe.each([
  { who: "the producer's look", slotCheckMs: undefined },
  { who: "the workers' sweep when the producer's look missed it", slotCheckMs: 3_600_000 },
])("a user's fair share taken, said by $who", ({ slotCheckMs }) => {
  let h: Harness;
  let router: Router;
  let dir: string;
  const gated = gatedUploads();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "share-"));
    h = await startHarness({ emulator: { timing: SLOW_TURN }, config: { MAX_SLOTS_PER_USER: "1" }, openAttachment: gated.openAttachment, ...(slotCheckMs === undefined ? {} : { slotCheckMs }) });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("a request in another chat waits for the user's running one, and says so", async () => {
    const user = 7601;
    const inGroup = (text: string): ChatMessage => {
      const base = message(user, text);
      const replyTo = { ...base.replyTo, chatId: "-7601", threadId: "telegram:-7601:", chatKind: "group" as const };
      return { ...base, chatId: "-7601", threadId: "telegram:-7601:", chatKind: "group", replyTo };
    };
    const upload = gatedClip(dir, "private");
    await router.handle(message(user, "", [upload]));
    await until(() => statuses(h, user).length > 0, 10_000, "the private chat's upload running");
    await router.handle(inGroup('add the title "group"'));
    const queued = await h.outbox.waitFor("⏳ Queued: you're next", { chatId: "-7601", type: "status", timeoutMs: 15_000 });
    gated.release(upload.source.type === "local-path" ? upload.source.path : "");
    await until(() => queued.type === "status" && queued.text === en.turnDone, 30_000, "the group's turn done");
    expect(queued.type === "status" && queued.history[placesAnnounced(queued.history)]).toBe(en.thinking);
  });
});

describe("when the chat platform is busy", () => {
  let h: Harness;
  let router: Router;
  beforeAll(async () => {
    // No workers: the items stay in line while the test looks.
    h = await startHarness({ noWorkers: true });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("a place that changed is skipped while the limits refuse the edit, and said by the next refresh", async () => {
    const user = 7401;
    const sessionKey = sessionKeyOf({ userKey: `telegram:${user}`, chatId: String(user) });
    const keeper = new LineKeeper({ redis: h.redis, prefix: h.prefix, outbox: () => h.outbox, logger: silentLogger });
    await router.handle(message(user, 'add the title "one"'));
    await router.handle(message(user, 'add the title "two"'));
    await router.handle(message(user, 'add the title "three"'));
    const third = statusThatSaid(h, user, "⏳ Queued: 2 ahead of you");
    expect(third).toBeDefined();
    await router.handle(message(user, "/cancel 1"));
    await h.outbox.waitFor('🛑 Cancelled: ✏️ "add the title "one""', { chatId: String(user), type: "text" });
    // The cancel's own refresh moved everyone up; make the place change again, under a busy platform.
    await router.handle(message(user, "/cancel 1"));
    await h.outbox.waitFor('🛑 Cancelled: ✏️ "add the title "two""', { chatId: String(user), type: "text" });
    const before = third?.history.length ?? 0;
    await h.redis.lpush(durationsKey(h.prefix, "turn"), "20000");
    h.outbox.failNext("upsertStatus", new RateLimitedError("busy", 1_000));
    await keeper.refresh(sessionKey);
    // Refused: nothing shown, nothing waited for.
    expect(third?.history.length).toBe(before);
    await keeper.refresh(sessionKey);
    expect(third?.history.slice(before)).toEqual(["⏳ Queued: you're next · about 20 s"]);
    // Unchanged words are not sent again.
    await keeper.refresh(sessionKey);
    expect(third?.history.length).toBe(before + 1);
  });
});

describe("in Chinese", () => {
  let h: Harness;
  let router: Router;
  beforeAll(async () => {
    h = await startHarness({ noWorkers: true });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("the place, /status and /cancel speak the user's language", async () => {
    const user = 7501;
    const zh = (text: string): ChatMessage => ({ ...message(user, text), locale: "zh-CN" });
    await router.handle(zh("加上标题“一”"));
    await router.handle(zh("加上标题“二”"));
    expect(statuses(h, user).at(-1)?.text).toBe("⏳ 排队中：前面还有 1 项");
    await router.handle(zh("/status"));
    const list = await h.outbox.waitFor(zhCN.statusTitle, { chatId: String(user), type: "text" });
    expect(list.type === "text" && list.text).toContain("2. ✏️ “加上标题“二””\n   ⏳ 排队中：前面还有 1 项");
    await router.handle(zh("/cancel 编辑"));
    await h.outbox.waitFor(zhCN.cancelledOne({ item: "✏️ “加上标题“二””" }), { chatId: String(user), type: "text" });
    const second = statusThatSaid(h, user, "⏳ 排队中：前面还有 1 项");
    await until(() => second?.text === zhCN.queuedCancelled, 5_000, "the status says cancelled");
  });
});

describe("a render", () => {
  let h: Harness;
  let router: Router;
  beforeAll(async () => {
    h = await startHarness({ emulator: { timing: { ...SLOW_TURN, turnStepMs: 5, renderMs: 2_500 } }, config: { RENDER_POLL_MS: "150" } });
    router = routerOf(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("shows the backend's progress with the time left from its rate, in the status and in /status", async () => {
    const user = 7201;
    await router.handle(message(user, "", [clip("a.mp4")]));
    await h.outbox.waitFor(en.uploadDone({ names: ["a.mp4"] }), { chatId: String(user) });
    await router.handle(message(user, "/export"));
    await h.outbox.waitFor(/% · about \d+ s left/, { chatId: String(user), type: "status", timeoutMs: 15_000 });
    await router.handle(message(user, "/status"));
    const list = await h.outbox.waitFor(/Your work in this chat/, { chatId: String(user), type: "text" });
    expect(list.type === "text" && list.text).toMatch(/1\. 🎬 Export\n {3}[▓░]{10} \d+%( · about \d+ s left)?/);
    await h.outbox.waitFor(en.exportDone, { chatId: String(user), type: "status", timeoutMs: 20_000 });
    await until(async () => (await h.redis.llen(durationsKey(h.prefix, "render"))) === 1, 5_000, "the render measured");
  });

  it("/cancel export cancels the render only, by its kind", async () => {
    const user = 7202;
    await router.handle(message(user, "", [clip("a.mp4")]));
    await h.outbox.waitFor(en.uploadDone({ names: ["a.mp4"] }), { chatId: String(user) });
    await router.handle(message(user, "/export"));
    await h.outbox.waitFor(/[▓░]{10} \d+%/, { chatId: String(user), type: "status", timeoutMs: 15_000 });
    await router.handle(message(user, "/cancel export"));
    await h.outbox.waitFor(en.cancelledOne({ item: en.itemExport }), { chatId: String(user), type: "text" });
    await h.outbox.waitFor(en.exportCancelled, { chatId: String(user), type: "status", timeoutMs: 15_000 });
    expect(h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === String(user))).toHaveLength(0);
  });
});
