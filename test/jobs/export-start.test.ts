import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueNames, sessionDraftRendersKey, sessionKeyOf } from "../../jobs/keys.js";
import type { DrainerData } from "../../jobs/queues.js";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip } from "../helpers/media.js";
import { envelopeOf, sessionOf, startHarness, statusesOf, until, userWithClip, type Harness } from "./harness.js";

const en = messages("en");

/**
 * Starting an export when the infrastructure, not the backend, gets in the way: the render already
 * started under the item's id by another run of the same step, and a capture that meets a Redis
 * error. Neither is the backend refusing the export, so neither may tell the user it failed.
 */
describe("an export's start", () => {
  let h: Harness;
  let clip: string;
  let user = 700;
  beforeAll(async () => {
    // A second try of a failed item comes a second later: long enough to clear the fault in between.
    h = await startHarness({ tuning: { itemRetryMs: 1_000 } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "export-start-")));
  });
  afterAll(async () => {
    await h.close();
  });
  const videosOf = (chatId: string) => h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === chatId);

  it("a render that already exists under the item's id (another run of the same step started it) is polled and delivered, not refused", async () => {
    const u = await userWithClip(h, (user += 1), clip);
    const envelope = envelopeOf(u.id, { kind: "export" });
    // What a second process running the same render step at the same moment meets: its POST of the
    // item's render id is answered 409 because the first process's POST made that render.
    await h.accounts.withExistingSession(sessionOf(u.id), async (session) => {
      const state = await h.nemo.state(session.auth, session.sessionId);
      await h.nemo.startRender(session.auth, { id: `render_${envelope.id}_1`, sessionId: session.sessionId, draft: state.draft ?? {} });
    }, u.sessionId);

    await h.queue.submit(envelope);
    await h.outbox.waitFor(en.exportCaption, { chatId: u.chatId, type: "video", timeoutMs: 15_000 });
    await until(() => statusesOf(h, u.chatId).some((s) => s.text === en.exportDone), 5_000, "the status reads done");
    expect(h.outbox.texts(u.chatId)).not.toContain(en.errBadRequest);
    expect(h.emulator.counters.rendersStarted().filter((id) => id.includes(envelope.id))).toEqual([`render_${envelope.id}_1`]);
    expect(videosOf(u.chatId)).toHaveLength(1);
  });

  it("a capture that meets a Redis error is tried again and delivers, without telling the user it failed", async () => {
    const u = await userWithClip(h, (user += 1), clip);
    // The session's draft-to-render index holds the wrong type: Redis answers the capture's read with
    // an error (WRONGTYPE), as it would fail a command during a restart.
    const draftsKey = sessionDraftRendersKey(h.prefix, sessionKeyOf(sessionOf(u.id)));
    await h.redis.set(draftsKey, "not a hash");
    await h.queue.submit(envelopeOf(u.id, { kind: "export" }));

    // The first try failed and the item waits for its second: Redis is fine again before it runs.
    const sessions = new Queue<DrainerData>(queueNames.session, { connection: h.redis, prefix: h.prefix });
    try {
      await until(async () => (await sessions.getDelayed()).some((job) => job.data.sessionKey === sessionKeyOf(sessionOf(u.id)) && job.data.step?.tries === 1), 15_000, "the capture's first try to fail");
    } finally {
      await sessions.close();
    }
    await h.redis.del(draftsKey);

    await h.outbox.waitFor(en.exportCaption, { chatId: u.chatId, type: "video", timeoutMs: 15_000 });
    await until(() => statusesOf(h, u.chatId).some((s) => s.text === en.exportDone), 5_000, "the status reads done");
    expect(h.outbox.texts(u.chatId)).not.toContain(en.unknownError);
    expect(statusesOf(h, u.chatId).some((s) => s.history.includes(en.turnStopped))).toBe(false);
    expect(videosOf(u.chatId)).toHaveLength(1);
  });
});
