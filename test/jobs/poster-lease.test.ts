import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverRender } from "../../jobs/delivery.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { SentRef, VideoFile } from "../../src/chat/outbox.js";
import { makeTestClip } from "../helpers/media.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { completedRenderOf, deliveryContext } from "./delivery-fixture.js";
import { envelopeOf, startHarness, until, userWithClip, type Harness } from "./harness.js";

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
    const { session, finished } = await completedRenderOf(h, u.id, envelope);
    const outbox = new GatedOutbox();
    const ctx = deliveryContext(h, outbox);
    const deliver = () => deliverRender(ctx, envelope, session, finished, {}, new AbortController().signal, async () => true);

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
