import { randomUUID } from "node:crypto";
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createReadStream } from "node:fs";
import type { SessionContext } from "../src/accounts/types.js";
import type { Outbox } from "../src/chat/outbox.js";
import { ChatError, RateLimitedError, SendSlotBusyError } from "../src/errors.js";
import { messages } from "../src/i18n/index.js";
import { DownloadError, type ResumeInfo } from "../src/nemo/download.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { JobContext } from "./context.js";
import { deliveryFile, removeDeliveryFiles } from "./export-files.js";
import { JobLockLostError } from "./job-control.js";

/**
 * Posts a finished render to the chat, at least once and in practice exactly once: a `posting`
 * marker before the post and a `delivered` marker right after it. A worker killed between the two
 * posts again on resume; one killed after the second never posts again. A post whose outcome is
 * unknown (no answer) is retried with the item's idempotency key: Discord's channel messages return
 * the copy it already took (its nonce window: a few minutes); Telegram has no such key, so there the
 * retry may post a second copy (the rare duplicate the contract accepts).
 *
 * A finished render is never lost:
 * - the download (network error, 5xx, timeout, a short body) is retried as delayed steps with
 *   back-off for DELIVERY_RETRY_FOR_MS (30 min by default), resuming a broken-off transfer;
 * - a platform's 429 on the video is waited out as a delayed step, the file kept on disk;
 * - a video that still cannot be posted (or is too large for the chat) goes as the render's link,
 *   when the backend gave one that is its own (never another URL); without one, the user is told.
 * The file is removed once delivered; the sweep (export-files.ts) removes what a crash left.
 */

export interface FinishedRender {
  id: string;
  outputUrl?: string;
  size?: number;
  duration?: number;
}

/** What a delivery keeps between its delayed steps (in the render job's data). */
export interface DeliveryState {
  /** When the first attempt failed: retries stop DELIVERY_RETRY_FOR_MS later. */
  since?: number;
  /** Failed attempts so far, for the back-off. */
  failures?: number;
  /** Posts that failed for another reason than a rate limit. */
  postFailures?: number;
  /** How to continue a broken-off download. */
  resume?: ResumeInfo;
  /** The file is complete on disk with this size (kept through a platform's 429). */
  downloaded?: number;
  /** Times the video waited for a send slot (the bot's own pacing), parked meanwhile: not failures. */
  slotWaits?: number;
}

export type DeliveredAs = "video" | "link" | "no-link";

export type DeliveryOutcome = { kind: "delivered"; how: DeliveredAs | "already" } | { kind: "retry"; delayMs: number; state: DeliveryState };

/** Above the chat's limit, the download stops after this much more (it will go as a link anyway). */
const DOWNLOAD_MARGIN_BYTES = 1024 * 1024;
/** No render is fetched past this, whatever the chat takes (the terminal takes anything). */
const ABSOLUTE_MAX_BYTES = 4 * 1024 * 1024 * 1024;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Posts of the video that failed for an unknown reason before the link goes instead. */
const MAX_POST_FAILURES = 3;

/** The n-th retry's wait: `firstMs`, doubling, at most 5 minutes. */
export function backoffDelay(firstMs: number, failures: number): number {
  return Math.min(MAX_BACKOFF_MS, firstMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}

/**
 * How long a step parks for a send slot: the limiter's wait, but never a busy loop of re-parks a few
 * ms apart (at most 1 s, or the configured retry when that is shorter, as in tests).
 */
export function slotWaitMs(retryAfterMs: number, retryMs: number): number {
  return Math.max(retryAfterMs, Math.min(1_000, retryMs));
}

/** How long a chat platform asked us to wait (Telegram's `retry_after` on an upload), if it did. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (!(error instanceof RateLimitedError)) return undefined;
  const wait = error.retryAfterMs;
  return Number.isFinite(wait) && wait >= 0 ? wait : undefined;
}

/** How long the poster's lease lasts unless renewed (every third of it while it works). */
export const POSTER_LEASE_MS = 15_000;

export async function deliverRender(
  ctx: JobContext,
  envelope: WorkEnvelope,
  session: SessionContext,
  render: FinishedRender,
  state: DeliveryState,
  signal: AbortSignal,
  /** Whether this run still holds its job: asked right before posting (see JobLockLostError). */
  stillOurs: () => Promise<boolean> = async () => true,
): Promise<DeliveryOutcome> {
  if ((await ctx.markers.get("delivered", envelope.id)) !== null) return { kind: "delivered", how: "already" };
  // One run at a time downloads and posts an item's video. A job whose lock lapsed while its run
  // still worked (a worker stalled for longer than the lock) is handed to a second run by BullMQ;
  // the lock is checked right before the post, but a lapse during the upload itself is not seen, and
  // both would post. The lease (renewed while this run works) makes the second run wait until the
  // first has recorded the post, or died: a killed poster's lease ends POSTER_LEASE_MS later.
  const holder = randomUUID();
  if (!(await ctx.markers.lease("poster", envelope.id, holder, POSTER_LEASE_MS))) {
    ctx.logger.info({ item: envelope.id }, "another run is posting this video: waiting for it to be recorded");
    return { kind: "retry", delayMs: ctx.config.DELIVERY_RETRY_MS, state: { ...state, slotWaits: (state.slotWaits ?? 0) + 1 } };
  }
  const renew = setInterval(() => void ctx.markers.renewLease("poster", envelope.id, holder, POSTER_LEASE_MS).catch(() => undefined), POSTER_LEASE_MS / 3);
  try {
    return await deliverHoldingLease(ctx, envelope, session, render, state, signal, stillOurs);
  } finally {
    clearInterval(renew);
    await ctx.markers.releaseLease("poster", envelope.id, holder).catch(() => undefined);
  }
}

async function deliverHoldingLease(
  ctx: JobContext,
  envelope: WorkEnvelope,
  session: SessionContext,
  render: FinishedRender,
  state: DeliveryState,
  signal: AbortSignal,
  stillOurs: () => Promise<boolean>,
): Promise<DeliveryOutcome> {
  const outbox = ctx.outbox(envelope.replyTo.platform);
  const m = messages(envelope.locale);
  const max = outbox.maxVideoBytes(envelope.replyTo);
  const file = deliveryFile(ctx.config.EXPORT_DIR, render.id);
  /**
   * Right before a post: a run whose lock lapsed (Redis unreachable for longer than the lock) may
   * share the job with a second run that the stalled check started, and only the holder posts.
   */
  const mustHold = async () => {
    if (!(await stillOurs())) throw new JobLockLostError(envelope.id);
  };
  const link = async (reason: LinkReason, size?: number) => {
    await mustHold();
    return sendLinkInstead(ctx, outbox, envelope, render, reason, size ?? max);
  };
  const now = Date.now();

  /** Another try after a passing failure, or the link once the retry window has closed. */
  const again = async (next: DeliveryState, waitMs: number | undefined, error: unknown): Promise<DeliveryOutcome> => {
    const since = next.since ?? now;
    const failures = (next.failures ?? 0) + 1;
    if (now - since >= ctx.config.DELIVERY_RETRY_FOR_MS) {
      ctx.logger.warn({ err: error, item: envelope.id, failures }, "render delivery kept failing: sending the link");
      return link("undeliverable");
    }
    const delayMs = waitMs ?? backoffDelay(ctx.config.DELIVERY_RETRY_MS, failures);
    ctx.logger.info({ err: error, item: envelope.id, failures, delayMs }, "render delivery failed; trying again later");
    return { kind: "retry", delayMs, state: { ...next, since, failures } };
  };

  if (state.failures === undefined && state.slotWaits === undefined && !(await ctx.markers.setOnce("posting", envelope.id))) {
    ctx.logger.warn({ item: envelope.id }, "a previous attempt may have posted this video already; posting again");
  }
  if (render.size !== undefined && render.size > max) return link("too-large", render.size);

  let size = state.downloaded !== undefined && (await sizeOf(file)) === state.downloaded ? state.downloaded : undefined;
  if (size === undefined) {
    let resume = state.resume;
    try {
      await mkdir(dirname(file), { recursive: true });
      const result = await ctx.nemo.downloadRender(session.auth, {
        renderId: render.id,
        ...(render.outputUrl === undefined ? {} : { outputUrl: render.outputUrl }),
        path: file,
        maxBytes: Math.min(max, ABSOLUTE_MAX_BYTES) + DOWNLOAD_MARGIN_BYTES,
        ...(resume === undefined ? {} : { resume }),
        onResume: (info) => {
          resume = info;
        },
        signal,
      });
      if (result.kind === "too-large") return link("too-large", result.size);
      size = result.size;
      state = { ...state, downloaded: size };
      delete state.resume;
    } catch (error) {
      if (signal.aborted) throw error;
      if (!(error instanceof DownloadError) || !error.transient) {
        ctx.logger.warn({ err: error, item: envelope.id }, "render could not be downloaded: sending the link");
        return link("undeliverable");
      }
      return again({ ...state, ...(resume === undefined ? {} : { resume }) }, undefined, error);
    }
  }
  if (size > max) return link("too-large", size);

  await mustHold();
  try {
    await outbox.sendVideo(
      envelope.replyTo,
      {
        open: () => createReadStream(file),
        fileName: "nemovideo.mp4",
        size,
        caption: m.exportCaption,
        ...(render.duration === undefined ? {} : { duration: render.duration }),
      },
      // The same key on every attempt at this item, in any process: a retry after a post whose answer
      // was lost (a timeout, a reset, a 5xx) is recognised where the platform takes a key (Discord).
      { idempotencyKey: `video:${envelope.id}` },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    // No send slot soon (the bot is at its platform's limit): nothing was sent, so this is no
    // failure. Park until the slot could be free; the render's worker slot serves others meanwhile.
    if (error instanceof SendSlotBusyError) return { kind: "retry", delayMs: slotWaitMs(error.retryAfterMs, ctx.config.DELIVERY_RETRY_MS), state: { ...state, slotWaits: (state.slotWaits ?? 0) + 1 } };
    // The platform's real limit can sit below `maxVideoBytes` (Telegram's 413 near 50 MB): the same
    // upload would be refused on every retry, so the link goes now.
    if (refusedAsTooLarge(error)) return link("too-large", size);
    const retryAfter = retryAfterMsOf(error);
    // Rate-limited: the platform said when; the file stays on disk so it is not fetched again.
    if (retryAfter !== undefined) return again(state, retryAfter, error);
    const postFailures = (state.postFailures ?? 0) + 1;
    if (postFailures >= MAX_POST_FAILURES) {
      ctx.logger.warn({ err: error, item: envelope.id, postFailures }, "the chat kept refusing the video: sending the link");
      return link("undeliverable");
    }
    return again({ ...state, postFailures }, undefined, error);
  }
  await ctx.markers.set("delivered", envelope.id, "video");
  await removeDeliveryFiles(ctx.config.EXPORT_DIR, render.id);
  return { kind: "delivered", how: "video" };
}

type LinkReason = "too-large" | "undeliverable";

/**
 * The render's link instead of the file: only a URL that is the backend's or its CDN's (never one
 * a render answer made up, never an internal address). Without one, the user is told in words.
 */
async function sendLinkInstead(
  ctx: JobContext,
  outbox: Outbox,
  envelope: WorkEnvelope,
  render: FinishedRender,
  reason: LinkReason,
  size: number,
): Promise<DeliveryOutcome> {
  const m = messages(envelope.locale);
  const url = ctx.nemo.publicRenderLink(render.outputUrl);
  const megabytes = Math.round((size / (1024 * 1024)) * 10) / 10;
  if (url === undefined) {
    await outbox.sendText(envelope.replyTo, reason === "too-large" ? m.exportNoLink : m.exportUndeliverable);
  } else {
    await outbox.sendLink(envelope.replyTo, reason === "too-large" ? m.exportLink({ megabytes }) : m.exportLinkInstead, url);
  }
  const how: DeliveredAs = url === undefined ? "no-link" : "link";
  await ctx.markers.set("delivered", envelope.id, how);
  await removeDeliveryFiles(ctx.config.EXPORT_DIR, render.id);
  ctx.logger.info({ item: envelope.id, size, reason, how }, "render delivered as a link");
  return { kind: "delivered", how };
}

/** Every outbox says "this file is over the chat's limit" with the same code. */
function refusedAsTooLarge(error: unknown): boolean {
  return error instanceof ChatError && error.code === "video_too_large";
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
