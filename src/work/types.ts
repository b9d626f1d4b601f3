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

/** One item of a user's work in a chat, as `/status` lists it (numbered from 1 in that order). */
export interface WorkOverviewItem {
  number: number;
  id: string;
  item: WorkItem;
  /** waiting: not started; running: in the worker now; rendering: an export's render at the backend. */
  state: "waiting" | "running" | "rendering";
  /** waiting: items before it and the estimate until it starts (undefined without measurements). */
  place?: { ahead: number; etaMs: number | undefined };
  /** running, rendering: the estimate of what is left (undefined without measurements). */
  leftMs?: number;
  /** rendering: the backend's last progress figure. */
  percent?: number;
}

/** `/cancel 2` (the number `/status` shows) or `/cancel export` (the latest of that kind). */
export type CancelTarget = { number: number } | { kind: WorkItem["kind"] };

export type CancelOneOutcome =
  | { outcome: "cancelled"; item: WorkOverviewItem }
  /** A turn or an upload already in the worker: it cannot be taken back. */
  | { outcome: "running"; item: WorkOverviewItem }
  | { outcome: "not-found" };

/** Which platform update asked for an item, and which of its items it is (0, then 1 for a caption's edit). */
export interface ItemOrigin {
  updateKey: string;
  index: number;
  /** The update's last item: the update is marked handled in the same step as it is queued. */
  last?: boolean;
}

export interface SubmitOutcome {
  position: number;
  full?: true;
  queuedAs?: string;
  /** Queued with its update's handled mark (`ItemOrigin.last`): nobody needs to write it again. */
  marked?: true;
}

/**
 * Items of one session run one at a time in the order submitted; sessions run in parallel.
 * A caption's edit is submitted right after its upload and so runs after it, and only when the
 * upload brought every file (`dependsOn`).
 */
export interface WorkQueue {
  /**
   * `position`: items ahead of it in its session. `full`: the session already has MAILBOX_MAX_ITEMS
   * waiting, so nothing was queued (`position` is how many wait). With `from`, the item is the
   * `index`th of that platform update and is recorded in the same atomic step as it is queued;
   * `queuedAs` (and nothing queued): that update's item was queued already, under that id.
   */
  submit(envelope: WorkEnvelope, from?: ItemOrigin): Promise<SubmitOutcome>;
  /** `/cancel`: removes this session's queued items and cancels a running render. */
  cancel(session: SessionRef): Promise<CancelOutcome>;
  /** `/status`: the session's items waiting, running and rendering. */
  overview(session: SessionRef): Promise<WorkOverviewItem[]>;
  /** `/cancel 2`: cancels that one item only. */
  cancelOne(session: SessionRef, target: CancelTarget): Promise<CancelOneOutcome>;
}
