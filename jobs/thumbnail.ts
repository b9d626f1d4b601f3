import type { ChatAttachment } from "../src/chat/message.js";
import type { UploadResult } from "../src/nemo/types.js";
import { MAX_THUMBNAIL_SOURCE_BYTES, shrinkThumbnail } from "../src/present/thumbnails.js";
import { readAtMost } from "../src/read-bounded.js";
import type { JobContext } from "./context.js";

/**
 * Keeps the platform's small picture of an uploaded clip for the timeline picture, under the names
 * the draft may give the clip (the CDN URL and file name NemoVideo answered, the name it was sent
 * with). Best effort: a thumbnail that cannot be fetched or read only means a placeholder later.
 */
export async function keepThumbnail(ctx: JobContext, sessionId: string, attachment: ChatAttachment, result: UploadResult, signal: AbortSignal): Promise<void> {
  const store = ctx.thumbnails;
  if (!store || !attachment.thumbnail) return;
  try {
    const stream = await ctx.openAttachment(attachment.thumbnail, signal);
    const source = await readAtMost(stream, MAX_THUMBNAIL_SOURCE_BYTES);
    if (source === undefined) return;
    const image = await shrinkThumbnail(source);
    const keys = [attachment.name, ...result.files.flatMap((f) => [f.cdnUrl, f.filename])];
    await store.put(sessionId, keys, image);
  } catch (error) {
    ctx.logger.debug({ err: error, attachment: attachment.id }, "thumbnail not kept");
  }
}
