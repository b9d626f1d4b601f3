import type { SessionRef } from "../accounts/types.js";
import type { ChatAttachment, Locale, ReplyHandle } from "../chat/message.js";

/** The long work the router hands to the queues (jobs/ implements `WorkQueue`). */
export type WorkItem =
  /** One user message through `/run_sse`; `exportAfter` when the request also asked for the video. */
  | { kind: "turn"; text: string; exportAfter?: boolean }
  /** Platform files into the session (an album is one upload). */
  | { kind: "upload"; attachments: ChatAttachment[] }
  /** Render the session's draft and deliver the MP4. */
  | { kind: "export" };

export interface WorkEnvelope {
  /** Unique per item; the idempotency key of everything the item does. */
  id: string;
  session: SessionRef;
  replyTo: ReplyHandle;
  locale: Locale;
  item: WorkItem;
  /** When the message arrived (ms since epoch). */
  receivedAt: number;
  /**
   * The upload this item's request came with (a caption's edit or export): when any of its files
   * did not arrive, this item does not run and the user is told why.
   */
  dependsOn?: string;
}

export type CancelOutcome = "cancelled-queued" | "cancelled-running" | "nothing";

/**
 * Items of one session run one at a time in the order submitted; sessions run in parallel.
 * A caption's edit is submitted right after its upload and so runs after it, and only when the
 * upload brought every file (`dependsOn`).
 */
export interface WorkQueue {
  submit(envelope: WorkEnvelope): Promise<{ position: number }>;
  /** `/cancel`: removes this session's queued items and cancels a running render. */
  cancel(session: SessionRef): Promise<CancelOutcome>;
}
