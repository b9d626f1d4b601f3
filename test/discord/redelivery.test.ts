import { Redis } from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createDiscordAdapter } from "../../adapters/discord/index.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { FAST_E2E_ENV, TINY_TUNING } from "../helpers/tuning.js";
import { BOT_TOKEN, capturingLogger } from "./helpers.js";

/**
 * After a gateway RESUME Discord replays the events the session missed, and the client can see
 * one it had already handled. A message or an interaction delivered twice runs once.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "discord-redelivery-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fake: FakeDiscord | undefined;
let emulator: Emulator | undefined;
let app: App | undefined;
let limiterConnection: Redis | undefined;
let logs: () => string = () => "";

afterEach(async () => {
  await app?.close();
  await emulator?.close();
  await fake?.close();
  limiterConnection?.disconnect();
  app = emulator = fake = limiterConnection = undefined;
});

async function startAll(): Promise<{ fake: FakeDiscord; emulator: Emulator; app: App; restart: () => Promise<App> }> {
  fake = await startFakeDiscord();
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity, timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 80, heartbeatOnlyMs: 60_000 } });
  const config = loadConfig({
    LOG_LEVEL: "debug",
    DISCORD_TOKEN: BOT_TOKEN,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_ROOT: fake.apiRoot,
    DISCORD_MESSAGE_CONTENT: "1",
    NEMO_API_BASE: emulator.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: uniquePrefix("dc-redeliver"),
    TOKEN_KEY: "44".repeat(32),
    EXPORT_DIR: join(dir, "exports"),
    ...FAST_E2E_ENV,
  });
  const captured = capturingLogger();
  logs = captured.lines;
  limiterConnection = new Redis(testRedisUrl());
  const connection = limiterConnection;
  const start = async () => {
    const discord = createDiscordAdapter(config, { logger: captured.logger, skill: skillProfile(config.SKILL_PROFILE), redis: connection });
    app = await startApp({ config, logger: captured.logger, adapters: [discord], workerTuning: TINY_TUNING });
    return app;
  };
  // A new process: discord.js's message cache (which drops a message it has seen) starts empty.
  const restart = async () => {
    await app?.close();
    return start();
  };
  return { fake, emulator, app: await start(), restart };
}

const USER = "500000000000000077";
const droppedCount = () => logs().split("\n").filter((line) => line.includes("duplicate update dropped")).length;

describe("a Discord event delivered twice", () => {
  it("a DM handed to another bot process again runs once", async () => {
    const { fake, emulator, restart } = await startAll();
    const { messageId } = fake.postMessage({ content: "make it shorter", userId: USER });
    await vi.waitFor(() => expect(emulator.counters.runSseTotal()).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    const app = await restart();
    await vi.waitFor(() => expect(fake.connections).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    fake.redeliver(messageId);
    await vi.waitFor(() => expect(droppedCount() >= 1 || emulator.counters.runSseTotal() > 1).toBe(true), { timeout: 20_000, interval: 50 });
    await app.whenIdle({ pollMs: 50 });
    expect(emulator.counters.runSseTotal()).toBe(1);
    expect(droppedCount()).toBe(1);
  });

  it("an interaction replayed at once is acknowledged and run once", async () => {
    const { fake, emulator, app } = await startAll();
    const edit = fake.runCommand({ name: "edit", options: { prompt: "add upbeat music" }, userId: USER });
    // Replayed while the first delivery is still being acknowledged.
    fake.redeliver(edit.id);
    await vi.waitFor(() => expect(emulator.counters.runSseTotal()).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(droppedCount()).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    await app.whenIdle({ pollMs: 50 });
    expect(emulator.counters.runSseTotal()).toBe(1);
    // Dropped by its claim, before acknowledging: Discord never saw a second callback.
    expect(logs()).not.toContain("could not acknowledge an interaction");
  });
});
