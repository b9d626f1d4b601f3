import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobContext } from "../../jobs/context.js";
import { deliverRender } from "../../jobs/delivery.js";
import { Markers } from "../../jobs/markers.js";
import { ProgressTurns } from "../../jobs/progress-turns.js";
import { DEFAULT_PACING } from "../../jobs/status-message.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { SentRef, VideoFile } from "../../src/chat/outbox.js";
import { silentLogger } from "../../src/log.js";
import { makeTestClip } from "../helpers/media.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { envelopeOf, sessionOf, startHarness, until, userWithClip, type Harness } from "./harness.js";

/** An outbox whose video posts wait until the test lets them through: a post under way. */
class GatedOutbox extends RecordingOutbox {
  private open: (() => void) | undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  postsStarted = 0;
  release(): void {
    this.open?.();
  }
  override async sendVideo(to: ReplyHandle, video: VideoFile, options?: { buttons?: never[] }): Promise<SentRef> {
    this.postsStarted += 1;
    await this.gate;
    return super.sendVideo(to, video, options);
  }
}

/**
 * Two runs of one render job at once (BullMQ hands a job whose lock lapsed to a second run while the
 * first still works): only one of them posts the video.
 */
describe("the poster's lease", () => {
  let h: Harness;
  let clip: string;
  beforeAll(async () => {
    h = await startHarness();
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "poster-lease-")));
  });
  afterAll(async () => {
    await h.close();
  });

  it("a second run that comes while the first is posting waits, then finds the video delivered: one copy", async () => {
    const u = await userWithClip(h, 1951, clip);
    const envelope = envelopeOf(u.id, { kind: "export" });
    const render = await h.accounts.withSession(sessionOf(u.id), async (session) => {
      const state = await h.nemo.state(session.auth, session.sessionId);
      const started = await h.nemo.startRender(session.auth, { id: `render_${envelope.id}_1`, sessionId: session.sessionId, draft: state.draft as Record<string, unknown> });
      let status = started;
      await until(async () => {
        status = await h.nemo.renderStatus(session.auth, started.id);
        return status.status === "completed";
      }, 20_000, "the render completed");
      return { session, status };
    });
    const outbox = new GatedOutbox();
    const ctx: JobContext = {
      config: h.config,
      nemo: h.nemo,
      accounts: h.accounts,
      outbox: () => outbox,
      openAttachment: () => Promise.reject(new Error("not used")),
      logger: silentLogger,
      markers: new Markers(h.redis, h.prefix),
      progressTurns: new ProgressTurns(h.redis, h.prefix),
      pacing: DEFAULT_PACING,
      events: {},
      followUpExport: () => Promise.resolve(),
      startRender: () => Promise.resolve("started"),
    };
    const finished = { id: render.status.id, ...(render.status.outputUrl === undefined ? {} : { outputUrl: render.status.outputUrl }) };
    const deliver = () => deliverRender(ctx, envelope, render.session, finished, {}, new AbortController().signal, async () => true);

    // The first run is posting (its upload under way); the second run gets there meanwhile.
    const first = deliver();
    await until(() => outbox.postsStarted === 1, 15_000, "the first run's post under way");
    const second = await deliver();
    expect(second.kind).toBe("retry");
    expect(outbox.postsStarted).toBe(1);

    outbox.release();
    expect(await first).toEqual({ kind: "delivered", how: "video" });
    // The second run's next step finds the post recorded.
    expect(await deliver()).toEqual({ kind: "delivered", how: "already" });
    expect(outbox.entries.filter((e) => e.type === "video")).toHaveLength(1);
  });
});
