import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFaultApp, type TelegramFaultApp } from "../fixtures/fault-telegram-app.js";
import { makeTestClip } from "../helpers/media.js";
import { connectTestRedis, keysUnder, onTestCluster, startOwnRedis, type OwnRedis } from "../helpers/redis.js";

/**
 * After an end-to-end run (Telegram adapter + fake Bot API + emulator + workers) with a user's own
 * /token set, scan everything: every log line at trace level, every request the fake Telegram got,
 * every request the NemoVideo side got, and every key in Redis. Distinctive values, so a miss is
 * not possible: the NemoVideo token, the bot token and Telegram file URLs appear nowhere they must not.
 */

const botToken = `8${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}:AAFaultScan_${randomBytes(16).toString("hex")}`;
const botSecret = botToken.split(":")[1] as string;
const FILE_URL_MARK = "/file/bot";

let ownRedis: OwnRedis;
let t: TelegramFaultApp;
let userToken: string;
let dir: string;
const chat = 880_001;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fault-scan-"));
  // A Redis of its own, so every key in it belongs to this run and all of them can be read.
  ownRedis = await startOwnRedis({ cluster: onTestCluster() });
  t = await startTelegramFaultApp({ redis: ownRedis.env, botToken, logLevel: "trace", env: { TOKEN_KEY: randomBytes(32).toString("hex") } });
  // A real token of the emulator's, as a user would bring from their NemoVideo account.
  const issued = await fetch(`${t.emulator.url}/api/auth/anonymous-token`, { method: "POST", headers: { "x-client-id": randomUUID() } });
  userToken = ((await issued.json()) as { data?: { token?: string }; token?: string }).data?.token ?? "";
  expect(userToken).toMatch(/^nmv_usr_[0-9a-f]{32}$/);

  const clip = await makeTestClip(dir, { seconds: 1 });
  const fake = t.fake;
  fake.userSends({ chatId: chat, text: `/token ${userToken}` });
  await fake.waitForMessage(chat, /Saved/);
  fake.userSends({ chatId: chat, caption: 'add the title "Scan me" and export it', video: { path: clip, duration: 1, width: 320, height: 240 } });
  await fake.waitFor(() => fake.videosSent(chat)[0], "the exported video", 30_000);
  fake.userSends({ chatId: chat, text: "status" });
  await fake.waitForMessage(chat, /Timeline/);
  fake.userSends({ chatId: chat, text: "credits" });
  await fake.waitForMessage(chat, /Credits: \d+ available/);
  fake.userSends({ chatId: chat, document: { bytes: Buffer.from("%PDF-1.4"), fileName: "brief.pdf", mime: "application/pdf" } });
  await fake.waitForMessage(chat, /mp4, mov/);
  // A refused token: the failure path logs errors and the request that failed.
  t.emulator.expireToken(userToken);
  fake.userSends({ chatId: chat, text: 'add the title "Refused"' });
  await fake.waitForMessage(chat, /refused your token/, 20_000);
  await t.app.whenIdle({ pollMs: 50 });
}, 90_000);

afterAll(async () => {
  await t.close();
  await ownRedis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every value in Redis, whatever its type, with its key. */
async function dumpRedis(): Promise<{ keys: number; text: string }> {
  const redis = connectTestRedis(ownRedis.env);
  const parts: string[] = [];
  const keys = await keysUnder(redis, "");
  for (const key of keys) {
    const type = await redis.type(key);
    const value =
      type === "string" ? await redis.get(key)
      : type === "hash" ? JSON.stringify(await redis.hgetall(key))
      : type === "list" ? JSON.stringify(await redis.lrange(key, 0, -1))
      : type === "set" ? JSON.stringify(await redis.smembers(key))
      : type === "zset" ? JSON.stringify(await redis.zrange(key, 0, -1))
      : type === "stream" ? JSON.stringify(await redis.xrange(key, "-", "+"))
      : "";
    parts.push(`${key} ${value ?? ""}`);
  }
  await redis.quit();
  return { keys: keys.length, text: parts.join("\n") };
}

const secrets = () => [userToken, userToken.slice("nmv_usr_".length), botToken, botSecret];

describe("a scan of everything after an end-to-end run", () => {
  it("finds no NemoVideo token, no bot token and no Telegram file URL in the logs", () => {
    // Not vacuous: trace logging of a whole run, the /token step and the failure path included.
    const log = t.logLines.join("");
    expect(t.logLines.length).toBeGreaterThan(20);
    expect(log).toContain("user set their own NemoVideo token");
    expect(log).toContain("token expired");
    for (const secret of secrets()) expect(log).not.toContain(secret);
    expect(log).not.toContain(FILE_URL_MARK);
  });

  it("finds none in what the fake Telegram received (the paths hold the bot token by design; the bodies must not)", () => {
    const bodies = JSON.stringify(t.fake.requests.map((r) => r.params));
    expect(t.fake.requests.length).toBeGreaterThan(10);
    for (const secret of secrets()) expect(bodies).not.toContain(secret);
    expect(bodies).not.toContain(FILE_URL_MARK);
    expect(bodies).not.toContain(t.fake.apiRoot);
  });

  it("finds no bot token and no Telegram file URL in what the NemoVideo side received; the user's token only as its bearer", () => {
    const calls = t.proxy.calls;
    // The clip went up as bytes (a multipart body), and the user's token was used: the needles are right.
    expect(calls.some((c) => c.path.includes("upload") && c.body.length > 10_000)).toBe(true);
    expect(calls.some((c) => c.headers.authorization === `Bearer ${userToken}`)).toBe(true);
    for (const call of calls) {
      const { authorization: _bearer, ...otherHeaders } = call.headers;
      const seen = `${call.method} ${call.path} ${JSON.stringify(otherHeaders)} ${call.body.toString("latin1")}`;
      for (const secret of secrets()) expect(seen).not.toContain(secret);
      expect(seen).not.toContain(FILE_URL_MARK);
      expect(seen).not.toContain(t.fake.apiRoot);
      expect(String(call.headers.authorization ?? "")).not.toContain(botSecret);
    }
  });

  it("finds none in Redis: job data, mailboxes, markers, accounts (the user's token is kept encrypted)", async () => {
    const { keys, text } = await dumpRedis();
    expect(keys).toBeGreaterThan(5);
    expect(text).toContain("Scan me");
    for (const secret of secrets()) expect(text).not.toContain(secret);
    expect(text).not.toContain(FILE_URL_MARK);
  });
});
