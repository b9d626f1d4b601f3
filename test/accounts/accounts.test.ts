import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisAccounts, type RedisAccountsOptions } from "../../src/accounts/index.js";
import type { SessionRef } from "../../src/accounts/types.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { isNemoError, NemoError } from "../../src/errors.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { emulatorCounts } from "../helpers/emulator-counts.js";

const TIMING = { turnStepMs: 5, heartbeatMs: 20, renderMs: 100, heartbeatOnlyMs: 2_000 };

let redis: Redis;
let emulator: Emulator;
let nemo: NemoClient;

function clientFor(url: string): NemoClient {
  return createNemoClient(loadConfig({ NEMO_API_BASE: url, RETRY_AFTER_429_MS: "10" }), { source: "video-making-ai", version: "1.9" });
}

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: TIMING });
  nemo = clientFor(emulator.url);
});
const counts = () => emulatorCounts(emulator);

afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

function accountsWith(options: Partial<RedisAccountsOptions> = {}, on: { nemo?: NemoClient } = {}): RedisAccounts {
  return new RedisAccounts({ redis, prefix: uniquePrefix("acct"), nemo: on.nemo ?? nemo, lock: { pollMs: 5 }, ...options });
}

let userSeq = 0;
function newRef(chatId = "c1", locale: SessionRef["locale"] = "en"): SessionRef {
  userSeq += 1;
  return { platform: "telegram", userKey: `telegram:${process.pid}${userSeq}`, chatId, locale };
}

/** Every value under a prefix, whatever the key's type. */
async function allValues(prefix: string): Promise<string[]> {
  const values: string[] = [];
  for (const key of await redis.keys(`${prefix}:*`)) {
    values.push(key);
    const type = await redis.type(key);
    if (type === "hash") values.push(...Object.values(await redis.hgetall(key)), ...Object.keys(await redis.hgetall(key)));
    else if (type === "string") values.push((await redis.get(key)) ?? "");
    else values.push(`<${type}>`);
  }
  return values;
}

describe("anonymous users", () => {
  it("get one token and one session on first need, in their language, and keep them", async () => {
    const accounts = accountsWith();
    const ref = newRef("c1", "zh-CN");
    const before = counts();
    const first = await accounts.session(ref);
    const again = await accounts.session(ref);
    expect(first.tokenKind).toBe("anonymous");
    expect(again).toEqual(first);
    const after = counts();
    expect(after.tokens - before.tokens).toBe(1);
    expect(after.sessions - before.sessions).toBe(1);
    expect(emulator.session(first.sessionId)?.language).toBe("zh-CN");
  });

  it("after 1001 get a new token from the same client id, keep their session, and the work runs once more", async () => {
    // One client id per IP: a renewal under any other id would be refused.
    const strict = await startEmulator({ anonymousPerIpLimit: 1, timing: TIMING });
    try {
      const accounts = accountsWith({}, { nemo: clientFor(strict.url) });
      const ref = newRef();
      const first = await accounts.session(ref);
      strict.expireToken(first.auth.token);

      const tokensSeen: string[] = [];
      const state = await accounts.withSession(ref, async (context) => {
        tokensSeen.push(context.auth.token);
        return clientFor(strict.url).state(context.auth, context.sessionId);
      });
      expect(state.sessionId).toBe(first.sessionId);
      expect(tokensSeen).toHaveLength(2);
      expect(tokensSeen[0]).toBe(first.auth.token);
      expect(tokensSeen[1]).not.toBe(first.auth.token);
      expect(strict.counters.anonymousTokensIssued()).toBe(2);
      expect(strict.counters.sessionsCreated()).toBe(1);
      expect((await accounts.session(ref)).auth.token).toBe(tokensSeen[1]);
    } finally {
      await strict.close();
    }
  });

  it("renew at expires_at with the same client id, before the backend has to refuse", async () => {
    const clock = { now: Date.now() };
    const prefix = uniquePrefix("acct");
    const accounts = accountsWith({ prefix, now: () => clock.now });
    const ref = newRef();
    await accounts.session(ref);
    const clientId = await redis.hget(`${prefix}:user:${ref.userKey}`, "clientId");
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    const asked = emulator.counters.requests("anonymous-token");
    clock.now += 8 * 24 * 3600_000;
    await accounts.session(ref);
    expect(emulator.counters.requests("anonymous-token")).toBe(asked + 1);
    expect(await redis.hget(`${prefix}:user:${ref.userKey}`, "clientId")).toBe(clientId);
  });

  it("hear a clear refusal when the per-IP limit is reached, and keep their client id for next time", async () => {
    const prefix = uniquePrefix("acct");
    const accounts = accountsWith({ prefix });
    const ref = newRef();
    // Twice: the client tries a 429 once more before giving up.
    emulator.faults.add({ kind: "anonymous-limit", times: 2 });
    const error = await accounts.session(ref).catch((e: unknown) => e);
    emulator.faults.clear();
    expect(isNemoError(error, "anonymous_limit")).toBe(true);
    const clientId = await redis.hget(`${prefix}:user:${ref.userKey}`, "clientId");
    expect(clientId).toBeTruthy();
    const context = await accounts.session(ref);
    expect(context.tokenKind).toBe("anonymous");
    expect(await redis.hget(`${prefix}:user:${ref.userKey}`, "clientId")).toBe(clientId);
  });
});

describe("sessions", () => {
  it("after 1002 start a new session and run the work once more", async () => {
    const accounts = accountsWith();
    const ref = newRef();
    const first = await accounts.session(ref);
    emulator.dropSession(first.sessionId);
    const sessions: string[] = [];
    const state = await accounts.withSession(ref, async (context) => {
      sessions.push(context.sessionId);
      return nemo.state(context.auth, context.sessionId);
    });
    expect(sessions).toEqual([first.sessionId, state.sessionId]);
    expect(state.sessionId).not.toBe(first.sessionId);
    expect((await accounts.session(ref)).sessionId).toBe(state.sessionId);
  });

  it("a week-old user meets both: 1001 renews the token, then 1002 makes a new session, and the work succeeds", async () => {
    const accounts = accountsWith();
    const ref = newRef();
    const first = await accounts.session(ref);
    emulator.expireToken(first.auth.token);
    emulator.dropSession(first.sessionId);
    let calls = 0;
    const state = await accounts.withSession(ref, async (context) => {
      calls += 1;
      return nemo.state(context.auth, context.sessionId);
    });
    expect(state.sessionId).not.toBe(first.sessionId);
    expect(calls).toBe(3);
  });

  it("retry only once: a second failure reaches the caller", async () => {
    const accounts = accountsWith();
    const ref = newRef();
    let calls = 0;
    const error = await accounts
      .withSession(ref, async () => {
        calls += 1;
        throw new NemoError("session_not_found", "gone again");
      })
      .catch((e: unknown) => e);
    expect(isNemoError(error, "session_not_found")).toBe(true);
    expect(calls).toBe(2);
  });

  it("/new forgets the chat's session; the next need makes a fresh one", async () => {
    const accounts = accountsWith();
    const ref = newRef();
    const first = await accounts.session(ref);
    await accounts.resetSession(ref);
    const second = await accounts.session(ref);
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.auth.token).toBe(first.auth.token);
  });

  it("keep two users apart: their own tokens, sessions and timelines, even in the same group", async () => {
    const accounts = accountsWith();
    const alice = newRef("group-1");
    const bob = newRef("group-1");
    const [a, b] = await Promise.all([accounts.session(alice), accounts.session(bob)]);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(a.auth.token).not.toBe(b.auth.token);
    // Alice's token cannot read Bob's session: the backend treats it as not found.
    const crossed = await nemo.state(a.auth, b.sessionId).catch((e: unknown) => e);
    expect(isNemoError(crossed, "session_not_found")).toBe(true);
    // And one user has one session per chat.
    const aliceElsewhere = await accounts.session({ ...alice, chatId: "private-a" });
    expect(aliceElsewhere.sessionId).not.toBe(a.sessionId);
    expect(aliceElsewhere.auth.token).toBe(a.auth.token);
  });

  it("two messages arriving together from a new user make one token and one session", async () => {
    const prefix = uniquePrefix("acct");
    // Two processes (the bot and a worker) with their own Redis connections.
    const otherRedis = new Redis(testRedisUrl());
    try {
      const here = accountsWith({ prefix });
      const there = new RedisAccounts({ redis: otherRedis, prefix, nemo: clientFor(emulator.url), lock: { pollMs: 5 } });
      const ref = newRef();
      const before = counts();
      const contexts = await Promise.all([
        here.session(ref),
        there.session(ref),
        here.withSession(ref, async (c) => c),
        there.withSession(ref, async (c) => c),
        here.session(ref),
        there.session(ref),
      ]);
      const after = counts();
      expect(after.tokens - before.tokens).toBe(1);
      expect(after.sessions - before.sessions).toBe(1);
      expect(new Set(contexts.map((c) => c.sessionId)).size).toBe(1);
      expect(new Set(contexts.map((c) => c.auth.token)).size).toBe(1);
    } finally {
      await otherRedis.quit();
    }
  });
});

describe("the operator's token", () => {
  it("is used by everyone without a token of their own: no anonymous tokens, a session each", async () => {
    const operatorToken = (await nemo.anonymousToken(randomUUID())).token;
    const accounts = accountsWith({ operatorToken });
    const before = counts();
    const [a, b] = await Promise.all([accounts.session(newRef()), accounts.session(newRef())]);
    expect(a.tokenKind).toBe("operator");
    expect(a.auth.token).toBe(operatorToken);
    expect(b.auth.token).toBe(operatorToken);
    expect(a.sessionId).not.toBe(b.sessionId);
    const after = counts();
    expect(after.tokens).toBe(before.tokens);
    expect(after.sessions - before.sessions).toBe(2);
  });

  it("is not renewed on 1001: that is the operator's to fix", async () => {
    const operatorToken = (await nemo.anonymousToken(randomUUID())).token;
    const accounts = accountsWith({ operatorToken });
    const ref = newRef();
    await accounts.session(ref);
    emulator.expireToken(operatorToken);
    const issued = emulator.counters.anonymousTokensIssued();
    const error = await accounts.withSession(ref, (c) => nemo.credits(c.auth)).catch((e: unknown) => e);
    expect(isNemoError(error, "token_invalid")).toBe(true);
    expect(emulator.counters.anonymousTokensIssued()).toBe(issued);
  });
});

describe("a user's own token", () => {
  it("wins over the operator's, and is found in no Redis value in clear", async () => {
    const prefix = uniquePrefix("acct");
    const operatorToken = (await nemo.anonymousToken(randomUUID())).token;
    const ownToken = (await nemo.anonymousToken(randomUUID())).token;
    const accounts = accountsWith({ prefix, operatorToken, tokenKey: randomBytes(32) });
    const ref = newRef();
    const before = await accounts.session(ref);
    expect(before.tokenKind).toBe("operator");

    await accounts.setUserToken(ref.userKey, ownToken);
    expect(await accounts.tokenKind(ref.userKey)).toBe("user");
    const after = await accounts.session(ref);
    expect(after.tokenKind).toBe("user");
    expect(after.auth.token).toBe(ownToken);
    // The old session belongs to the operator's account: a new one under the user's own.
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(emulator.session(after.sessionId)?.userId).not.toBe(emulator.session(before.sessionId)?.userId);
    expect(await accounts.withToken(ref.userKey, async (auth, kind) => [auth.token, kind])).toEqual([ownToken, "user"]);

    const values = await allValues(prefix);
    expect(values.length).toBeGreaterThan(3);
    const body = ownToken.replace(/^nmv_usr_/, "");
    for (const value of values) {
      expect(value).not.toContain(ownToken);
      expect(value).not.toContain(body.slice(0, 12));
    }

    expect(await accounts.clearUserToken(ref.userKey)).toBe(true);
    expect((await accounts.session(ref)).tokenKind).toBe("operator");
  });

  it("is refused, never stored in clear, when no TOKEN_KEY is set", async () => {
    const accounts = accountsWith();
    expect(accounts.canStoreUserTokens).toBe(false);
    const error = await accounts.setUserToken("telegram:9", "nmv_usr_mine").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "token_storage_off" });
  });

  it("is not renewed on 1001 (it is not ours): the error reaches the caller", async () => {
    const ownToken = (await nemo.anonymousToken(randomUUID())).token;
    const accounts = accountsWith({ tokenKey: randomBytes(32) });
    const ref = newRef();
    await accounts.setUserToken(ref.userKey, ownToken);
    await accounts.session(ref);
    emulator.expireToken(ownToken);
    const error = await accounts.withSession(ref, (c) => nemo.credits(c.auth)).catch((e: unknown) => e);
    expect(isNemoError(error, "token_invalid")).toBe(true);
  });

  it("stored under another TOKEN_KEY is ignored, not a crash", async () => {
    const prefix = uniquePrefix("acct");
    const ref = newRef();
    await accountsWith({ prefix, tokenKey: randomBytes(32) }).setUserToken(ref.userKey, "nmv_usr_old");
    const rotated = accountsWith({ prefix, tokenKey: randomBytes(32) });
    expect(await rotated.tokenKind(ref.userKey)).toBe("anonymous");
    expect((await rotated.session(ref)).tokenKind).toBe("anonymous");
  });
});
