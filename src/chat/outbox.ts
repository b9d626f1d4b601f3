import type { Readable } from "node:stream";
import type { ButtonIntent, ReplyHandle } from "./message.js";

/** A message the bot posted, so it can be edited later. Serializable for job data. */
export interface SentRef {
  messageId: string;
}

export interface Button {
  intent: ButtonIntent;
  label: string;
}

export interface VideoFile {
  /** The bytes; opened lazily so a retried send can open them again. */
  open: () => Readable | Promise<Readable>;
  fileName: string;
  size: number;
  duration?: number;
  width?: number;
  height?: number;
  caption?: string;
}

/** A picture the bot made (the timeline), small enough to hold in memory. */
export interface PhotoFile {
  bytes: Buffer;
  fileName: string;
  width: number;
  height: number;
  /** Shown with the picture; what does not fit the platform's caption follows as text. */
  caption?: string;
}

export interface VideoOptions {
  buttons?: Button[];
  /**
   * The same for every attempt at this one post, across retries and restarts (derived from the work
   * item). Where the platform takes an idempotency key (Discord's message `nonce`), a retry of a post
   * the platform already took returns that message instead of posting the video again.
   */
  idempotencyKey?: string;
}

export interface StatusOptions {
  droppable?: boolean;
  yields?: boolean;
}

export interface PhotoOptions {
  buttons?: Button[];
  /** A picture the bot posted earlier to replace in place (a refresh), where the platform allows; else a new one is sent. */
  replace?: SentRef;
}

/**
 * What the rest of the bot may do in a chat. Adapters implement it over their platform's REST API
 * only, so a worker process can post without a gateway or polling connection.
 */
export interface Outbox {
  /** Long text is split at the platform's limit. Returns the last message sent. */
  sendText(to: ReplyHandle, text: string, options?: { buttons?: Button[] }): Promise<SentRef>;
  /**
   * The one status message of an item: posts it when `ref` is undefined, else edits it in place.
   * Edits come last when the platform's limits are busy: rather than queue behind answers and
   * videos, an edit is refused with RateLimitedError (`retryAfterMs`), and the caller keeps its text
   * for later. `droppable` (a progress figure the next update repeats): only if a slot is free now.
   * A new status message waits for its slot like an answer, unless `droppable` or `yields` (a
   * render's status, which the video itself outranks): then it is refused like an edit.
   */
  upsertStatus(to: ReplyHandle, ref: SentRef | undefined, text: string, options?: StatusOptions): Promise<SentRef>;
  /** The largest video this chat accepts as a file; bigger results go as a link. */
  maxVideoBytes(to: ReplyHandle): number;
  sendVideo(to: ReplyHandle, video: VideoFile, options?: VideoOptions): Promise<SentRef>;
  sendLink(to: ReplyHandle, text: string, url: string, options?: { buttons?: Button[] }): Promise<SentRef>;
  /** A picture with its caption; returns the message that shows the picture. */
  sendPhoto(to: ReplyHandle, photo: PhotoFile, options?: PhotoOptions): Promise<SentRef>;
  /** Deletes a user's message where the platform allows (one that held a token); false when it could not. */
  deleteMessage?(to: ReplyHandle, messageId: string): Promise<boolean>;
  /** "uploading video…" and the like, where the platform has it. */
  showActivity?(to: ReplyHandle, activity: "upload_video" | "typing"): Promise<void>;
}

/**
 * The same outbox, with every failure passed through the adapter's `translate` first: what leaves an
 * outbox is a ChatError with a code from src/errors.ts (or the value as it was, when `translate` keeps
 * it), never a platform library's error that callers would have to know.
 */
export function translatingErrors(outbox: Outbox, translate: (error: unknown) => unknown): Outbox {
  const wrapped: Record<string, unknown> = { ...outbox };
  for (const [key, value] of Object.entries(outbox)) {
    if (typeof value !== "function") continue;
    const method = value as (...args: unknown[]) => unknown;
    wrapped[key] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(outbox, args);
      } catch (error) {
        throw translate(error);
      }
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw translate(error);
          })
        : result;
    };
  }
  return wrapped as unknown as Outbox;
}
