import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAdapter } from "../../adapters/telegram/index.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { silentLogger } from "../../src/log.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import type { Redis } from "ioredis";
import { expectWithinLimits, FAST_TUNING, limiterRedis } from "../telegram/harness.js";
import { TELEGRAM_TIME_SCALE } from "../helpers/tuning.js";
import { TINY_TUNING } from "./support.js";

/**
 * The operator's view over HTTP: /healthz for the orchestrator, /metrics for Prometheus, and the
 * optional read-only queue dashboard. The app runs in-process with HTTP_PORT=0 against the fake
 * Telegram Bot API, the emulator and a real Redis.
 */

interface Health {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

let fake: FakeTelegram;
let emulator: Emulator;
let app: App | undefined;
let privateRedis: RedisServerHandle | undefined;
let limiterConnection: Redis | undefined;

beforeEach(async () => {
  fake = await startFakeTelegram({ timeScale: TELEGRAM_TIME_SCALE });
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 50, heartbeatOnlyMs: 60_000 } });
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  limiterConnection?.disconnect();
  limiterConnection = undefined;
  expectWithinLimits(fake);
  await privateRedis?.stop();
  privateRedis = undefined;
  await emulator.close();
  await fake.close();
});

async function start(redisUrl: string, extra: Record<string, string> = {}): Promise<App> {
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    NEMO_API_BASE: emulator.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: uniquePrefix("http"),
    HTTP_PORT: "0",
    RENDER_POLL_MS: "30",
    ...extra,
  });
  limiterConnection = limiterRedis(redisUrl);
  const telegram = createTelegramAdapter(config, { logger: silentLogger, skill: skillProfile(config.SKILL_PROFILE), redis: limiterConnection, tuning: FAST_TUNING });
  app = await startApp({ config, logger: silentLogger, adapters: [telegram], workerTuning: TINY_TUNING });
  return app;
}

function url(app: App, path: string): string {
  if (!app.http) throw new Error("HTTP_PORT was set: the app should serve HTTP");
  return `http://127.0.0.1:${app.http.port}${path}`;
}

async function health(app: App): Promise<{ status: number; body: Health }> {
  const response = await fetch(url(app, "/healthz"));
  return { status: response.status, body: (await response.json()) as Health };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("/healthz", () => {
  it("answers 200 with Redis, the queues, the Telegram connection and the workers when all is well", async () => {
    const running = await start(testRedisUrl());
    const { status, body } = await health(running);
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.checks).toMatchObject({ redis: { ok: true }, queues: { ok: true }, telegram: { ok: true }, workers: { ok: true } });
  });

  it("answers 503 naming Redis while Redis is gone, and 200 again once it is back", async () => {
    privateRedis = await startRedisServer();
    const port = privateRedis.port;
    const running = await start(privateRedis.url);
    expect((await health(running)).status).toBe(200);

    await privateRedis.stop();
    const down = await health(running);
    expect(down.status).toBe(503);
    expect(down.body.ok).toBe(false);
    expect(down.body.checks.redis?.ok).toBe(false);

    // The same port again: the app's connections find it by themselves.
    privateRedis = await startRedisServer({ port });
    await until(async () => ((await health(running)).status === 200 ? true : undefined), "healthz to recover");
  });
});

describe("/metrics", () => {
  it("serves Prometheus text: messages by intent, jobs by state, turn durations", async () => {
    const running = await start(testRedisUrl());
    fake.userSends({ chatId: 7101, text: "/credits" });
    await fake.waitForMessage(7101, /credit/i);
    fake.userSends({ chatId: 7101, text: "make a 5 second video of a sunset over the sea" });
    await until(async () => {
      const text = await (await fetch(url(running, "/metrics"))).text();
      return /nemo_bot_turn_duration_seconds_count\{outcome="[^"]+"\} 1/.test(text) ? text : undefined;
    }, "the turn to be measured");

    const response = await fetch(url(running, "/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^nemo_bot_messages_total\{platform="telegram",intent="\/credits"\} 1$/m);
    expect(text).toMatch(/^nemo_bot_messages_total\{platform="telegram",intent="turn"\} 1$/m);
    for (const queue of ["session-work", "render"]) {
      for (const state of ["waiting", "active", "delayed", "failed"]) expect(text).toMatch(new RegExp(`^nemo_bot_jobs\\{queue="${queue}",state="${state}"\\} \\d+$`, "m"));
    }
    expect(text).toContain("# TYPE nemo_bot_turn_duration_seconds histogram");
    expect(text).toContain("# TYPE nemo_bot_export_duration_seconds histogram");
    expect(text).toContain("# TYPE nemo_bot_backend_errors_total counter");
    // Process metrics come with the same prefix.
    expect(text).toMatch(/^nemo_bot_process_resident_memory_bytes \d+/m);
    // No secret in what anyone who can scrape reads.
    expect(text).not.toContain(fake.token);
  });
});

describe("the queue dashboard (BULL_BOARD_PASSWORD)", () => {
  it("is absent unless a password is set", async () => {
    const running = await start(testRedisUrl());
    expect((await fetch(url(running, "/admin/queues"))).status).toBe(404);
  });

  it("asks for the password, shows the queues with it, and refuses changes", async () => {
    const password = "board-pass-Q7x";
    const running = await start(testRedisUrl(), { BULL_BOARD_PASSWORD: password });
    const auth = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

    const anonymous = await fetch(url(running, "/admin/queues"));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect((await fetch(url(running, "/admin/queues/api/queues"), { headers: auth("admin", "wrong") })).status).toBe(401);

    const page = await fetch(url(running, "/admin/queues"), { headers: auth("admin", password) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");

    const api = await fetch(url(running, "/admin/queues/api/queues"), { headers: auth("ops", password) });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(["render", "session-work"]);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);

    // Read-only: bull-board refuses to empty a queue.
    const clean = await fetch(url(running, "/admin/queues/api/queues/render/clean/completed"), { method: "PUT", headers: auth("admin", password) });
    expect(clean.status).toBe(405);
  });
});
