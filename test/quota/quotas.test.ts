import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAllowed, quotaText, RedisQuotas, type QuotaVerdict } from "../../src/quota/index.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

/** 13:37 UTC on a fixed day; the hour's window resets at 14:00. */
const T1337 = Date.UTC(2026, 0, 15, 13, 37, 0);

function quotas(limits: { turnsPerHour: number; exportsPerHour: number }, clock: { now: number }) {
  return new RedisQuotas({ redis, prefix: uniquePrefix("quota"), limits, now: () => clock.now });
}

describe("hourly quotas", () => {
  it("allows the limit, refuses the next, and says when more come", async () => {
    const clock = { now: T1337 };
    const q = quotas({ turnsPerHour: 3, exportsPerHour: 1 }, clock);
    for (let i = 0; i < 3; i++) expect(await q.take("telegram:1", ["turn"])).toEqual({ ok: true });
    const refused = await q.take("telegram:1", ["turn"]);
    expect(refused).toEqual({ ok: false, kind: "turn", limit: 3, resetAt: Date.UTC(2026, 0, 15, 14, 0, 0) });
    const text = quotaText(refused as Extract<QuotaVerdict, { ok: false }>, "en", clock.now);
    expect(text).toBe("⏳ You've used your 3 edits for this hour; more at 14:00 UTC (in 23 min).");
    expect(quotaText(refused as Extract<QuotaVerdict, { ok: false }>, "zh-CN", clock.now)).toContain("14:00");
  });

  it("keeps users apart and starts again in the next hour", async () => {
    const clock = { now: T1337 };
    const q = quotas({ turnsPerHour: 1, exportsPerHour: 0 }, clock);
    expect((await q.take("telegram:1", ["turn"])).ok).toBe(true);
    expect((await q.take("telegram:1", ["turn"])).ok).toBe(false);
    expect((await q.take("discord:1", ["turn"])).ok).toBe(true);
    clock.now = Date.UTC(2026, 0, 15, 14, 0, 1);
    expect((await q.take("telegram:1", ["turn"])).ok).toBe(true);
  });

  it("takes nothing when one of the kinds a request needs is used up", async () => {
    const clock = { now: T1337 };
    const q = quotas({ turnsPerHour: 5, exportsPerHour: 1 }, clock);
    expect(await q.take("u", ["turn", "export"])).toEqual({ ok: true });
    const refused = await q.take("u", ["turn", "export"]);
    expect(refused).toMatchObject({ ok: false, kind: "export", limit: 1 });
    // The refused edit-and-export did not use an edit: 4 more plain edits fit.
    for (let i = 0; i < 4; i++) expect((await q.take("u", ["turn"])).ok).toBe(true);
    expect((await q.take("u", ["turn"])).ok).toBe(false);
  });

  it("a limit of 0 means no limit", async () => {
    const q = quotas({ turnsPerHour: 0, exportsPerHour: 0 }, { now: T1337 });
    for (let i = 0; i < 50; i++) expect((await q.take("u", ["turn", "export"])).ok).toBe(true);
  });

  it("stores its counters with an expiry, so Redis does not fill up", async () => {
    const prefix = uniquePrefix("quota");
    const q = new RedisQuotas({ redis, prefix, limits: { turnsPerHour: 2, exportsPerHour: 2 } });
    await q.take("u", ["turn"]);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toHaveLength(1);
    const ttl = await redis.pttl(keys[0] ?? "");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_600_000 + 60_000);
  });
});

describe("allowlist", () => {
  const who = { platform: "telegram" as const, userId: "42", chatId: "-1001" };
  it("lets everyone in when no list is set", () => {
    expect(isAllowed({ users: [], chats: [] }, who)).toBe(true);
  });
  it("matches users and chats by platform:id or bare id", () => {
    expect(isAllowed({ users: ["telegram:42"], chats: [] }, who)).toBe(true);
    expect(isAllowed({ users: ["42"], chats: [] }, who)).toBe(true);
    expect(isAllowed({ users: ["discord:42"], chats: [] }, who)).toBe(false);
    expect(isAllowed({ users: ["7"], chats: ["telegram:-1001"] }, who)).toBe(true);
    expect(isAllowed({ users: ["7"], chats: ["-1002"] }, who)).toBe(false);
  });
});
