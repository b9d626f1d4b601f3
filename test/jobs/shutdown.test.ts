import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainerJobId, queueNames, sessionKeyOf } from "../../jobs/keys.js";
import { Mailbox } from "../../jobs/mailbox.js";
import { messages } from "../../src/i18n/index.js";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

const en = messages("en");

describe("closing the workers", () => {
  let h: Harness;
  beforeAll(async () => {
    // Turns of heartbeats only run until the client's long silent timeout: a turn that outlives the grace period.
    h = await startHarness({ config: { SILENT_TIMEOUT_MS: "60000" }, tuning: { shutdownGraceMs: 300 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("hands a turn that outlives the grace period back; the next worker reads the state and never re-sends", async () => {
    const user = 800;
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "heartbeat-only", sessionId });
    const text = "make it cinematic";
    await h.queue.submit(envelopeOf(user, { kind: "turn", text }));
    await until(() => h.emulator.counters.runSse(sessionId, text) === 1, 5_000, "the turn to be sent");

    await h.stopWorkers();
    expect(h.outbox.texts(String(user)).some((t) => t.includes(en.recoveryUnconfirmed))).toBe(false);

    await h.startWorkers();
    // Nothing changed in the project, so after the unchanged reads the user is told it could not be confirmed.
    await h.outbox.waitFor(en.recoveryUnconfirmed, { chatId: String(user), type: "text", timeoutMs: 10_000 });
    expect(h.emulator.counters.runSse(sessionId, text)).toBe(1);
  });

  it("stops taking new work once closed; the items wait for the next worker", async () => {
    const sessions = new Queue(queueNames.session, { connection: h.redis, prefix: h.prefix });
    const mailbox = new Mailbox(h.redis, h.prefix, sessions);
    try {
      // While running, the workers are consumers of the session queue (BullMQ names their connections).
      expect(await sessions.getWorkersCount()).toBeGreaterThan(0);
      await h.stopWorkers();
      // Closed means no consumer is left that could take an item.
      expect(await sessions.getWorkersCount()).toBe(0);

      const user = 801;
      const envelope = envelopeOf(user, { kind: "turn", text: 'add the title "Later"' });
      await h.queue.submit(envelope);
      // The item is in its mailbox and its drainer job waits to be taken; nothing ran it.
      const sessionKey = sessionKeyOf(sessionOf(user));
      const generation = await mailbox.owner(sessionKey);
      expect(generation).not.toBeNull();
      const drainer = await sessions.getJob(drainerJobId(sessionKey, generation ?? ""));
      expect(await drainer?.getState()).toBe("waiting");
      expect(await mailbox.pending(sessionKey)).toBe(1);
      expect(h.outbox.texts(String(user))).toEqual([]);

      await h.startWorkers();
      await h.outbox.waitFor(/Later|don't see any video/, { chatId: String(user), type: "text" });
      await until(async () => (await mailbox.pending(sessionKey)) === 0, 10_000, "the item to leave its mailbox");
    } finally {
      await sessions.close();
    }
  });
});
