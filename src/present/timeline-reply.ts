import type { Locale, ReplyHandle } from "../chat/message.js";
import type { Button, Outbox, SentRef } from "../chat/outbox.js";
import type { Logger } from "../log.js";
import { readDraft } from "../nemo/draft.js";
import { summarizeTimeline } from "./timeline-summary.js";
import type { TimelinePicture } from "./timeline-picture/index.js";
import type { Thumbnails } from "./thumbnails.js";

export interface TimelineReply {
  outbox: Outbox;
  to: ReplyHandle;
  locale: Locale;
  /** The session's draft as the backend sent it. */
  draft: unknown;
  /** The words under the picture; the track summary when not given. */
  caption?: string;
  buttons?: Button[];
  /** An earlier timeline picture to replace in place (a refresh). */
  replace?: SentRef;
  thumbnails?: { store: Thumbnails; sessionId: string };
  logger: Logger;
}

/** Every key a video segment's thumbnail may be kept under. */
function thumbnailKeys(draft: ReturnType<typeof readDraft>): string[] {
  if (!draft) return [];
  return draft.tracks
    .filter((t) => t.kind === "video")
    .flatMap((t) => t.segments.flatMap((s) => [s.source, s.name]))
    .filter((k): k is string => k !== undefined);
}

/**
 * The timeline as a picture with the text summary as its caption; the text alone when the draft
 * cannot be drawn (nothing on it, or a shape the reader does not understand) or drawing fails.
 */
export async function sendTimeline(reply: TimelineReply): Promise<SentRef> {
  const { outbox, to, locale, logger } = reply;
  const caption = reply.caption ?? summarizeTimeline(reply.draft, locale);
  const textOnly = () => outbox.sendText(to, caption, reply.buttons ? { buttons: reply.buttons } : undefined);
  const timeline = readDraft(reply.draft);
  if (!timeline || !timeline.tracks.some((t) => t.segments.length > 0)) return textOnly();

  let thumbnails = new Map<string, Buffer>();
  if (reply.thumbnails) {
    try {
      thumbnails = await reply.thumbnails.store.get(reply.thumbnails.sessionId, thumbnailKeys(timeline));
    } catch (error) {
      logger.warn({ err: error }, "timeline thumbnails unreadable; drawing placeholders");
    }
  }
  let picture: TimelinePicture | undefined;
  try {
    // Loaded on first use: the native canvas and its font cost memory only once a picture is drawn.
    const { pictureWords, renderTimelinePicture } = await import("./timeline-picture/index.js");
    picture = await renderTimelinePicture(timeline, { words: pictureWords(locale), thumbnails });
  } catch (error) {
    logger.warn({ err: error }, "timeline picture failed; answering with the text");
    return textOnly();
  }
  if (!picture) return textOnly();
  return outbox.sendPhoto(
    to,
    { bytes: picture.png, fileName: "timeline.png", width: picture.width, height: picture.height, caption },
    { ...(reply.buttons ? { buttons: reply.buttons } : {}), ...(reply.replace ? { replace: reply.replace } : {}) },
  );
}
