import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RedisAccounts } from "../../src/accounts/index.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

let redis: Redis;
let emulator: Emulator;
let nemo: NemoClient;

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 100 } });
  nemo = createNemoClient(loadConfig({ NEMO_API_BASE: emulator.url }), { source: "video-making-ai", version: "1.9" });
});

afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

it("a user back after a week, with an expired token and a vanished session, is served with one new token and one new session", async () => {
  const accounts = new RedisAccounts({ redis, prefix: uniquePrefix("acct"), nemo, lock: { pollMs: 5 } });
  const ref = { platform: "telegram" as const, userKey: "telegram:week-later", chatId: "c1", locale: "en" as const };
  const first = await accounts.session(ref);
  emulator.expireToken(first.auth.token);
  emulator.dropSession(first.sessionId);

  const tokensBefore = emulator.counters.anonymousTokensIssued();
  const sessionsBefore = emulator.counters.sessionsCreated();
  const credits = await accounts.withSession(ref, async (context) => {
    // Both a token check and a session check, as an upload or a turn would meet them.
    await nemo.state(context.auth, context.sessionId);
    return nemo.credits(context.auth);
  });

  expect(credits.available).toBeGreaterThan(0);
  expect(emulator.counters.anonymousTokensIssued() - tokensBefore).toBe(1);
  expect(emulator.counters.sessionsCreated() - sessionsBefore).toBe(1);
  const now = await accounts.session(ref);
  expect(now.auth.token).not.toBe(first.auth.token);
  expect(now.sessionId).not.toBe(first.sessionId);
});
