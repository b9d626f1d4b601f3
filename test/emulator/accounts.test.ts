import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { anonymousToken, call, dataOf, fastEmulator, newSession } from "./support.js";

describe("emulator: anonymous tokens, sessions and credits", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await fastEmulator({ anonymousPerIpLimit: Infinity });
  });
  afterAll(() => emu.close());

  it("issues a 100-credit, 7-day anonymous token and says it is an emulator", async () => {
    const answer = await call(emu.url, "POST", "/api/auth/anonymous-token", { headers: { "x-client-id": "client-a" } });
    const data = dataOf<{ token: string; user_id: string; expires_at: string; credits: number }>(answer);
    expect(data.token).toMatch(/^nmv_usr_/);
    expect(data.user_id).toMatch(/^anon_/);
    expect(data.credits).toBe(100);
    const days = (Date.parse(data.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect(answer.headers["x-emulator"]).toBe("nemovideo-emulator");
  });

  it("answers HTTP 400 without X-Client-Id", async () => {
    const answer = await call(emu.url, "POST", "/api/auth/anonymous-token");
    expect(answer.status).toBe(400);
  });

  it("gives the same client id its token back, and a new one for the same user after it expired", async () => {
    const first = await anonymousToken(emu.url, "client-b");
    const again = await anonymousToken(emu.url, "client-b");
    expect(again.token).toBe(first.token);
    const before = emu.counters.anonymousTokensIssued();

    emu.expireToken(first.token);
    const expired = await call(emu.url, "GET", "/api/credits/balance/simple", { token: first.token });
    expect(expired.status).toBe(200);
    expect(expired.json).toEqual({ code: 1001, message: "token expired" });

    const renewed = await anonymousToken(emu.url, "client-b");
    expect(renewed.token).not.toBe(first.token);
    expect(renewed.userId).toBe(first.userId);
    expect(emu.counters.anonymousTokensIssued()).toBe(before + 1);
  });

  it("limits new client ids per IP with HTTP 429, and other IPs are not affected", async () => {
    const limited = await fastEmulator({ anonymousPerIpLimit: 3 });
    try {
      const ip = "203.0.113.7";
      for (const id of ["ip-1", "ip-2", "ip-3"]) await anonymousToken(limited.url, id, ip);
      const refused = await call(limited.url, "POST", "/api/auth/anonymous-token", { headers: { "x-client-id": "ip-4", "x-forwarded-for": ip } });
      expect(refused.status).toBe(429);
      expect(refused.json).toEqual({ code: 429, message: "anonymous token limit reached for this IP" });
      // A client id the IP already has still gets its token; another IP has its own allowance.
      await anonymousToken(limited.url, "ip-2", ip);
      await anonymousToken(limited.url, "ip-4", "203.0.113.8");
      expect(limited.counters.anonymousTokensIssued()).toBe(4);
    } finally {
      await limited.close();
    }
  });

  it("refuses every authenticated route for a missing or unknown token with 1001", async () => {
    for (const [method, path] of [
      ["GET", "/api/credits/balance/simple"],
      ["POST", "/api/tasks/me/with-session/nemo_agent"],
      ["GET", "/api/state/nemo_agent/me/1/latest"],
      ["GET", "/api/render/proxy/lambda/render_x"],
    ] as const) {
      const answer = await call(emu.url, method, path, { token: "nmv_usr_unknown", body: method === "POST" ? {} : undefined });
      expect((answer.json as { code: number }).code, path).toBe(1001);
    }
    const noHeader = await call(emu.url, "GET", "/api/credits/balance/simple");
    expect((noHeader.json as { code: number }).code).toBe(1001);
  });

  it("creates sessions with numeric-string ids and keeps their language", async () => {
    const { token, userId } = await anonymousToken(emu.url);
    const answer = await call(emu.url, "POST", "/api/tasks/me/with-session/nemo_agent", { token, body: { task_name: "project", language: "zh-CN" } });
    const data = dataOf<{ session_id: string; task_id: string; user_id: string }>(answer);
    expect(data.session_id).toMatch(/^\d{15,}$/);
    expect(data.task_id).toMatch(/^task_/);
    expect(data.user_id).toBe(userId);
    expect(emu.session(data.session_id)).toMatchObject({ language: "zh-CN", userId, taskName: "project" });
    const other = await newSession(emu.url, token);
    expect(other).not.toBe(data.session_id);
  });

  it("reports credits as available, frozen and total", async () => {
    const { token } = await anonymousToken(emu.url);
    const data = dataOf(await call(emu.url, "GET", "/api/credits/balance/simple", { token }));
    expect(data).toEqual({ available: 100, frozen: 0, total: 100 });
  });

  it("does not let one user read another user's session", async () => {
    const a = await anonymousToken(emu.url);
    const b = await anonymousToken(emu.url);
    const sessionId = await newSession(emu.url, a.token);
    const answer = await call(emu.url, "GET", `/api/state/nemo_agent/me/${sessionId}/latest`, { token: b.token });
    expect((answer.json as { code: number }).code).toBe(1002);
  });
});
