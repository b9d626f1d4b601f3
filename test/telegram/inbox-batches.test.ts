import type { Update } from "grammy/types";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { UpdateInbox } from "../../adapters/telegram/inbox.js";
import { silentLogger } from "../../src/log.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * The webhook writes each update POSTed to its Redis inbox before answering 200, and removes the
 * entry once the update was handled. Telegram POSTs up to 100 updates at once, and their handlings
 * finish together: their entries are written by one command and removed by one, not one each (every
 * command costs the bot CPU at ingest: `npm run bench -- ingress`, webhook).
 */

const redis = new Redis(testRedisUrl());
afterAll(() => redis.quit());

/** The inbox fields each `name` command (HSET or HDEL) carried while `run` ran, in the order sent. */
async function fieldsPerCommand(name: "hset" | "hdel", run: () => Promise<void>): Promise<number[]> {
  // Connected first: a command sent while connecting goes through sendCommand twice.
  await redis.ping();
  const counts: number[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    // HSET key field value…; HDEL key field…
    if (command.name.toLowerCase() === name) counts.push(name === "hset" ? (command.args.length - 1) / 2 : command.args.length - 1);
    return send(command, stream);
  };
  try {
    await run();
  } finally {
    redis.sendCommand = send;
  }
  return counts;
}

describe("a burst of webhook updates POSTed together", () => {
  it("is written to the inbox by one command, each update durable when its POST is answered", async () => {
    const prefix = uniquePrefix("inbox-accept");
    const inbox = new UpdateInbox(redis, prefix, { maxInHand: 200, retryAfterMs: 60_000, sweepEveryMs: 30_000 }, silentLogger);
    const ids = Array.from({ length: 20 }, (_, i) => 7_100 + i);
    const writes = await fieldsPerCommand("hset", async () => {
      const accepted = await Promise.all(ids.map((id) => inbox.accept(id, JSON.stringify({ update_id: id }))));
      expect(accepted.every(Boolean)).toBe(true);
    });
    expect(writes).toEqual([ids.length]);
    const stored = await redis.hgetall(`${prefix}:inbox`);
    expect(Object.keys(stored).sort()).toEqual(ids.map(String).sort());
    expect((JSON.parse(stored["7100"] ?? "{}") as { update?: unknown }).update).toEqual({ update_id: 7_100 });
  });
});

describe("a getUpdates answer (long polling)", () => {
  it("is written to the inbox by one command, each update as Telegram sent it", async () => {
    const prefix = uniquePrefix("inbox-answer");
    const inbox = new UpdateInbox(redis, prefix, { maxInHand: 200, retryAfterMs: 60_000, sweepEveryMs: 30_000 }, silentLogger);
    const from = { id: 5, is_bot: false, first_name: "Ada" };
    const updates: Update[] = Array.from({ length: 100 }, (_, i) => ({ update_id: 7_200 + i, message: { message_id: i, date: 0, from, chat: { id: 5, type: "private", first_name: "Ada" }, text: `hi ${i}` } }));
    const writes = await fieldsPerCommand("hset", async () => {
      expect(await inbox.acceptAll(updates)).toBe(true);
    });
    expect(writes).toEqual([updates.length]);
    const stored = await redis.hgetall(`${prefix}:inbox`);
    expect(Object.keys(stored)).toHaveLength(updates.length);
    expect((JSON.parse(stored["7250"] ?? "{}") as { update?: unknown }).update).toEqual(updates[50]);
  });
});

describe("a burst of webhook updates handled together", () => {
  it("has their inbox entries removed by one command, and none left", async () => {
    const prefix = uniquePrefix("inbox-removal");
    const inbox = new UpdateInbox(redis, prefix, { maxInHand: 200, retryAfterMs: 60_000, sweepEveryMs: 30_000 }, silentLogger);
    const ids = Array.from({ length: 20 }, (_, i) => 7_000 + i);
    for (const id of ids) expect(await inbox.accept(id, JSON.stringify({ update_id: id }))).toBe(true);
    expect(await redis.hlen(`${prefix}:inbox`)).toBe(ids.length);

    const removals = await fieldsPerCommand("hdel", async () => {
      await Promise.all(ids.map((id) => inbox.handle(id, async () => undefined)));
    });
    expect(removals).toEqual([ids.length]);
    expect(await redis.hlen(`${prefix}:inbox`)).toBe(0);
  });
});
