import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccounts } from "../../src/accounts/index.js";
import type { Accounts, SessionContext, SessionRef } from "../../src/accounts/types.js";
import { messages } from "../../src/i18n/index.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { closeConnection, connectRedis, type RedisClient } from "../../src/redis/client.js";
import { isRedisUnavailable } from "../../src/redis/unavailable.js";
import { makeTestClip } from "../helpers/media.js";
import { envelopeOf, sessionOf, startHarness, tinyConfig, until, userWithClip, type Harness } from "./harness.js";

const en = messages("en");

/** A port on loopback where nothing listens: Redis "down". */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * The workers' accounts, except that the calls numbered in `outages` (per user, from 1) go to real
 * accounts over a fail-fast connection to a Redis that is down: what an item met while
 * Redis restarted, before the workers' account reads waited the restart out.
 */
class OutageAccounts implements Accounts {
  private readonly calls = new Map<string, number>();
  readonly outages = new Map<string, Set<number>>();

  constructor(
    private readonly real: Accounts,
    private readonly down: Accounts,
  ) {}

  private pick(ref: SessionRef): Accounts {
    const n = (this.calls.get(ref.userKey) ?? 0) + 1;
    this.calls.set(ref.userKey, n);
    return this.outages.get(ref.userKey)?.has(n) ? this.down : this.real;
  }

  /** The user's next account reads numbered `which` (1 = the next one) meet Redis down. */
  arm(ref: SessionRef, which: number[]): void {
    const done = this.calls.get(ref.userKey) ?? 0;
    this.outages.set(ref.userKey, new Set(which.map((w) => done + w)));
  }

  session(ref: SessionRef) {
    return this.pick(ref).session(ref);
  }
  withSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>) {
    return this.pick(ref).withSession(ref, work);
  }
  withExistingSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>, sessionId?: string) {
    return this.pick(ref).withExistingSession(ref, work, sessionId);
  }
  resetSession(ref: SessionRef) {
    return this.real.resetSession(ref);
  }
}

describe("an item that meets Redis unreachable is tried again, not failed", () => {
  let h: Harness;
  let outage: OutageAccounts;
  let downRedis: RedisClient;
  let clip: string;
  beforeAll(async () => {
    // Real accounts over a fail-fast connection (the producer's: the router's "client" one now waits
    // about 10 s for Redis to come back), pointed at a Redis that is down.
    downRedis = connectRedis(`redis://127.0.0.1:${await deadPort()}`, "producer");
    downRedis.on("error", () => undefined);
    const config = tinyConfig({ NEMO_API_BASE: "http://127.0.0.1:9", QUEUE_PREFIX: "down" });
    const down = createAccounts(config, { redis: downRedis, nemo: createNemoClient(config, { source: "video-making-ai", version: "1.9" }) }).accounts;
    h = await startHarness({
      workerAccounts: (real) => {
        outage = new OutageAccounts(real, down);
        return outage;
      },
    });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "redis-outage-")));
  });
  afterAll(async () => {
    await h.close();
    await closeConnection(downRedis);
  });

  const textsOf = (chatId: string) => h.outbox.entries.flatMap((e) => (e.type === "text" && e.to.chatId === chatId ? [e.text] : []));

  it("the fail-fast connection to a Redis that is down fails with an error read as an outage", async () => {
    const error = await downRedis.get("any").then(() => undefined, (e: unknown) => e);
    expect(isRedisUnavailable(error)).toBe(true);
    expect(isRedisUnavailable(new Error("ERR wrong number of arguments"))).toBe(false);
  });

  it("an export capture: the video is delivered, and nothing says it failed", async () => {
    const u = await userWithClip(h, 1801, clip);
    outage.arm(sessionOf(u.id), [1]);
    await h.queue.submit(envelopeOf(u.id, { kind: "export" }));
    await h.outbox.waitFor(en.exportCaption, { chatId: u.chatId, type: "video", timeoutMs: 20_000 });
    expect(textsOf(u.chatId)).not.toContain(en.unknownError);
    expect(h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === u.chatId)).toHaveLength(1);
  });

  it("an album upload whose second file meets it: both files arrive, each once, and it says done", async () => {
    const user = 1802;
    const chatId = String(user);
    outage.arm(sessionOf(user), [2]);
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [
          { id: "o1", name: "one.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } },
          { id: "o2", name: "two.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } },
        ],
      }),
    );
    await h.outbox.waitFor(en.uploadDone({ names: ["one.mp4", "two.mp4"] }), { chatId, type: "text", timeoutMs: 20_000 });
    const sessionId = await h.sessionIdOf(sessionOf(user));
    expect(h.emulator.session(sessionId)?.uploads.map((f) => f.filename)).toEqual(["one.mp4", "two.mp4"]);
    expect(textsOf(chatId)).not.toContain(en.unknownError);
  });

  it("an upload the backend then refuses: the refusal is said, not an outage's words", async () => {
    const user = 1803;
    const chatId = String(user);
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "unsupported-file", sessionId });
    outage.arm(sessionOf(user), [1]);
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "o3", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(/can't use that file type/, { chatId, type: "text", timeoutMs: 20_000 });
    expect(textsOf(chatId)).not.toContain(en.unknownError);
  });

  it("a turn not yet sent: it goes once and is answered", async () => {
    const u = await userWithClip(h, 1804, clip);
    outage.arm(sessionOf(u.id), [1]);
    await h.queue.submit(envelopeOf(u.id, { kind: "turn", text: 'add the title "After The Outage"' }));
    await h.outbox.waitFor(/After The Outage/, { chatId: u.chatId, type: "text", timeoutMs: 20_000 });
    await until(() => h.done.turns >= 1, 10_000, "turn done");
    expect(h.emulator.counters.runSse(u.sessionId, 'add the title "After The Outage"')).toBe(1);
    expect(textsOf(u.chatId)).not.toContain(en.unknownError);
  });
});
