import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { resolve as resolvePath, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { SessionContext } from "../src/accounts/types.js";
import type { Outbox } from "../src/chat/outbox.js";
import { ChatError } from "../src/errors.js";
import { messages } from "../src/i18n/index.js";
import type { RenderStatus } from "../src/nemo/types.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { JobContext } from "./context.js";

/**
 * Posts a finished render to the chat, at least once and in practice exactly once: a `posting`
 * marker before the post and a `delivered` marker right after it. A worker killed between the two
 * posts again on resume (the rare duplicate the contract accepts); one killed after the second
 * never posts again.
 *
 * A video goes as a file when it fits the chat's limit (`outbox.maxVideoBytes`), else as a link.
 * The bytes are downloaded to EXPORT_DIR first so the post knows the size and a retried send can
 * open them again.
 */
export async function deliverRender(
  ctx: JobContext,
  envelope: WorkEnvelope,
  session: SessionContext,
  render: RenderStatus,
  signal: AbortSignal,
): Promise<"video" | "link" | "already"> {
  if ((await ctx.markers.get("delivered", envelope.id)) !== null) return "already";
  const outbox = ctx.outbox(envelope.replyTo.platform);
  const max = outbox.maxVideoBytes(envelope.replyTo);
  if (!(await ctx.markers.setOnce("posting", envelope.id))) {
    ctx.logger.warn({ item: envelope.id }, "a previous attempt may have posted this video already; posting again");
  }

  if (render.size !== undefined && render.size > max) {
    await postLink(ctx, outbox, envelope, render, render.size);
    await ctx.markers.set("delivered", envelope.id);
    return "link";
  }

  const dir = resolvePath(ctx.config.EXPORT_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${render.id.replace(/[^A-Za-z0-9_.-]/g, "_")}.mp4`);
  try {
    const download = await ctx.nemo.downloadRender(session.auth, render.id, render.outputUrl, { signal });
    await pipeline(download.body, createWriteStream(path), { signal });
    const size = (await stat(path)).size;
    if (size > max) {
      await postLink(ctx, outbox, envelope, render, size);
      await ctx.markers.set("delivered", envelope.id);
      return "link";
    }
    const m = messages(envelope.locale);
    try {
      await outbox.sendVideo(envelope.replyTo, {
        open: () => createReadStream(path),
        fileName: "nemovideo.mp4",
        size,
        caption: m.exportCaption,
        ...(render.duration === undefined ? {} : { duration: render.duration }),
      });
    } catch (error) {
      // The platform's real limit can sit below `maxVideoBytes` (Telegram's 413 near 50 MB): the same
      // upload would be refused on every retry, so the link goes now.
      if (!refusedAsTooLarge(error)) throw error;
      await postLink(ctx, outbox, envelope, render, size);
      await ctx.markers.set("delivered", envelope.id);
      return "link";
    }
    await ctx.markers.set("delivered", envelope.id);
    return "video";
  } finally {
    await rm(path, { force: true });
  }
}

/** The outboxes' "this file is over the chat's limit" errors (Telegram's and Discord's codes). */
function refusedAsTooLarge(error: unknown): boolean {
  return error instanceof ChatError && (error.code === "video_too_large" || error.code === "discord_file_too_large");
}

async function postLink(ctx: JobContext, outbox: Outbox, envelope: WorkEnvelope, render: RenderStatus, size: number): Promise<void> {
  const m = messages(envelope.locale);
  if (render.outputUrl === undefined) {
    await outbox.sendText(envelope.replyTo, m.exportNoLink);
    return;
  }
  const megabytes = Math.round((size / (1024 * 1024)) * 10) / 10;
  await outbox.sendLink(envelope.replyTo, m.exportLink({ megabytes }), render.outputUrl);
  ctx.logger.info({ item: envelope.id, size }, "video too large for the chat: sent as a link");
}
