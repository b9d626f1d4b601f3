import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeOf, sessionOf, startHarness, until, type Harness } from "./harness.js";

describe("one session's items run in arrival order, sessions in parallel", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("runs 50 interleaved messages from 5 users in each user's order", async () => {
    const users = [101, 102, 103, 104, 105];
    const sent = new Map<number, string[]>(users.map((u) => [u, []]));
    // Interleaved: u1#0, u2#0, …, u5#0, u1#1, … all submitted at once.
    const submissions: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      for (const user of users) {
        const text = `add the title "u${user} step ${i}"`;
        sent.get(user)?.push(text);
        submissions.push(h.queue.submit(envelopeOf(user, { kind: "turn", text })));
      }
    }
    await Promise.all(submissions);
    await until(() => h.done.turns >= 50, 30_000, "50 turns");

    for (const user of users) {
      const sessionId = await h.sessionIdOf(sessionOf(user));
      expect(h.emulator.session(sessionId)?.messages).toEqual(sent.get(user));
    }
    expect(h.emulator.counters.runSseTotal()).toBe(50);
    // Every message got its answer, with the quick actions under it.
    const answers = h.outbox.entries.filter((e) => e.type === "text" && e.buttons?.length === 3);
    expect(answers).toHaveLength(50);
  });
});
