import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisAccounts } from "../../src/accounts/index.js";
import type { SessionRef } from "../../src/accounts/types.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { isNemoError } from "../../src/errors.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/** `withExistingSession`: reads with the chat's token and a session that exists, creating none. */

let redis: Redis;
let emulator: Emulator;
let nemo: NemoClient;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 100, heartbeatOnlyMs: 2_000 } });
  nemo = createNemoClient(loadConfig({ NEMO_API_BASE: emulator.url }), { source: "video-making-ai", version: "1.9" });
});
afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

let seq = 0;
function setup(): { accounts: RedisAccounts; ref: SessionRef } {
  seq += 1;
  const accounts = new RedisAccounts({ redis, prefix: uniquePrefix("acct-existing"), nemo, lock: { pollMs: 5 } });
  return { accounts, ref: { platform: "telegram", userKey: `telegram:${process.pid}0${seq}`, chatId: "c1", locale: "en" } };
}
const read = (accounts: RedisAccounts, ref: SessionRef, sessionId?: string) =>
  accounts.withExistingSession(ref, (s) => nemo.state(s.auth, s.sessionId), sessionId);

describe("reading is not creating", () => {
  it("a chat with no session: session_not_found, and no session made", async () => {
    const { accounts, ref } = setup();
    const before = emulator.counters.sessionsCreated();
    const error = await read(accounts, ref).catch((e: unknown) => e);
    expect(isNemoError(error, "session_not_found")).toBe(true);
    expect(emulator.counters.sessionsCreated()).toBe(before);
  });

  it("a session gone at the backend (1002): thrown, not replaced", async () => {
    const { accounts, ref } = setup();
    const { sessionId } = await accounts.session(ref);
    emulator.dropSession(sessionId);
    const before = emulator.counters.sessionsCreated();
    const error = await read(accounts, ref).catch((e: unknown) => e);
    expect(isNemoError(error, "session_not_found")).toBe(true);
    expect(emulator.counters.sessionsCreated()).toBe(before);
  });

  it("an expired anonymous token (1001) is renewed once with the same client id; the session read is the stored one", async () => {
    const { accounts, ref } = setup();
    const first = await accounts.session(ref);
    emulator.expireToken(first.auth.token);
    const before = emulator.counters.sessionsCreated();
    const state = await read(accounts, ref);
    expect(state.sessionId).toBe(first.sessionId);
    expect(emulator.counters.sessionsCreated()).toBe(before);
  });

  it("reads the session it is told (the one a message went to) after /new forgot the chat's", async () => {
    const { accounts, ref } = setup();
    const { sessionId } = await accounts.session(ref);
    await accounts.resetSession(ref);
    const before = emulator.counters.sessionsCreated();
    expect((await read(accounts, ref, sessionId)).sessionId).toBe(sessionId);
    expect(emulator.counters.sessionsCreated()).toBe(before);
  });
});
