import { Queue } from "bullmq";
import { queryObjects } from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueNames } from "../../jobs/keys.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

/**
 * What a worker keeps per open turn: one process holds thousands of turns for minutes each, so a
 * turn waiting on its stream holds no worker slot and no running BullMQ job (its drainer job is
 * parked while the stream hub reads the stream), and no AbortController of its own.
 */

const TURNS = 4;

describe("an open turn's footprint in the worker", () => {
  let h: Harness;
  beforeAll(async () => {
    // One slot for four turns: their streams must not hold it.
    h = await startHarness({ config: { SILENT_TIMEOUT_MS: "60000", WORKER_CONCURRENCY: "1" } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("holds no slot, no running job and no AbortController per turn while its stream is open", async () => {
    const users = Array.from({ length: TURNS }, (_, i) => 900 + i);
    const sessions = await Promise.all(users.map((user) => h.sessionIdOf(sessionOf(user))));
    for (const sessionId of sessions) h.emulator.faults.add({ kind: "heartbeat-only", sessionId });
    const before = queryObjects(AbortController, { format: "count" });

    for (const user of users) await h.queue.submit(envelopeOf(user, { kind: "turn", text: `hold on (${user})` }));
    await until(() => sessions.every((sessionId, i) => h.emulator.counters.runSse(sessionId, `hold on (${users[i]})`) === 1), 10_000, "every turn sent");
    // Each turn's "Thinking…" is out, so nothing but the open streams is in flight.
    await until(() => users.every((user) => h.outbox.entries.some((e) => e.type === "status" && e.to.chatId === String(user))), 10_000, "every status shown");

    const drainers = new Queue(queueNames.session, { connection: h.redis, prefix: h.prefix });
    try {
      // A drainer parks just after its stream is handed over, so the last may still be parking.
      const parked = async () => {
        const counts = await drainers.getJobCounts("active", "delayed");
        return counts.active === 0 && counts.delayed === TURNS;
      };
      await until(parked, 5_000, "every drainer parked").catch(() => undefined);
      expect(await drainers.getJobCounts("active", "delayed")).toEqual({ active: 0, delayed: TURNS });
    } finally {
      await drainers.close();
    }
    expect(queryObjects(AbortController, { format: "count" }) - before).toBeLessThanOrEqual(0);
  });
});
