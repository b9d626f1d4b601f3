import type { Accounts } from "../src/accounts/types.js";
import type { AttachmentOpener, Platform } from "../src/chat/message.js";
import type { Button, Outbox, SentRef } from "../src/chat/outbox.js";
import type { Config } from "../src/config.js";
import type { Logger } from "../src/log.js";
import type { NemoApi, OpenTurn } from "../src/nemo/types.js";
import type { Thumbnails } from "../src/present/thumbnails.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { messages, type Messages } from "../src/i18n/index.js";
import type { Markers } from "./markers.js";
import type { ProgressTurns } from "./progress-turns.js";
import type { StatusMessage, StatusPacing } from "./status-message.js";

/**
 * Hooks for metrics (prom-client is wired later by whoever owns /metrics). All optional, all
 * synchronous and cheap; a hook that throws is ignored.
 */
export interface JobEvents {
  onTurnDone?(ms: number, outcome: "text" | "silent" | "error" | "recovered"): void;
  onUploadDone?(ms: number, files: number): void;
  onExportDone?(ms: number, delivery: "video" | "link" | "error" | "cancelled"): void;
  onBackendError?(code: string): void;
}

/** Everything an item's code needs, shared by all items a worker process runs. */
export interface JobContext {
  config: Config;
  nemo: NemoApi;
  accounts: Accounts;
  outbox: (platform: Platform) => Outbox;
  openAttachment: AttachmentOpener;
  logger: Logger;
  /** Clip thumbnails: kept at upload, drawn in the timeline picture. */
  thumbnails?: Thumbnails;
  markers: Markers;
  /** Which renders may try a progress edit now: those whose chats waited longest (progress-turns.ts). */
  progressTurns: Pick<ProgressTurns, "rank" | "forget">;
  pacing: StatusPacing;
  events: JobEvents;
  /** This process's stream hub: open turns' streams, read while their jobs park (stream-hub.ts). */
  hub?: TurnStreams;
  /** Queues an export of the same session to run right after the current item. */
  followUpExport(from: WorkEnvelope): Promise<void>;
  /**
   * Hands a captured draft to the render queue (the export's polling runs outside the mailbox).
   * "already-rendering" when the same draft of this session is being rendered for another item.
   */
  startRender(
    envelope: WorkEnvelope,
    sessionId: string,
    draft: Record<string, unknown>,
    statusRef: SentRef | undefined,
  ): Promise<"started" | "already-rendering">;
}

/** What the stream hub takes over from a turn's drainer job. */
export interface AdoptedTurn {
  itemId: string;
  /** The drainer job parked for the turn, promoted when the stream ends. */
  jobId: string;
  stream: OpenTurn;
  status: StatusMessage;
  m: Messages;
}

/** The face of this process's stream hub (stream-hub.ts) that a turn uses. */
export interface TurnStreams {
  /** This worker process's hub id (kept in a parked turn's step). */
  readonly id: string;
  /** Whether this process reads that item's stream now. */
  has(itemId: string): boolean;
  /** Takes an open stream over; the turn's job parks right after. */
  adopt(turn: AdoptedTurn): Promise<void>;
  /** The turn's job took its stream's outcome: the sweep need not wake it any more. */
  woke(jobId: string): Promise<void>;
}

/** What a mailbox item keeps between its steps (job data, so it survives a crash or a restart). */
export interface ItemStep {
  envelopeId: string;
  statusRef?: SentRef;
  /**
   * Turn: sending, its one retry after 429, its stream read by the stream hub of worker `hub` (the
   * job parked meanwhile), or reading the state after an unknown outcome.
   */
  phase?: "turn" | "retry-after-429" | "streaming" | "recovering";
  /** The worker process (its stream hub) reading the turn's stream. */
  hub?: string;
  /** The turn went after the contract's one retry after 429: no second one. */
  retried429?: boolean;
  reads?: number;
  unchanged?: number;
  lastFingerprint?: string;
  startedAt?: number;
  /** Unexpected failures of this item so far (a bug, the chat platform down). */
  tries?: number;
  /** Times this item found Redis unreachable (a restart, a failover) and was put off (see drain.ts). */
  outages?: number;
}

export type StepOutcome = { done: true } | { done: false; delayMs: number; step: ItemStep };

export interface ItemRun {
  envelope: WorkEnvelope;
  step: ItemStep;
  /** Persists the step now (the status message's ref, the phase reached). */
  save(step: ItemStep): Promise<void>;
  signal: AbortSignal;
  /** The drainer job running the item (a turn parks it while the stream hub reads its stream). */
  jobId?: string;
  /**
   * Whether this run still holds its drainer job's lock (renewing it): asked before an answer that
   * must not come twice, since a run whose lock lapsed may share the item with a second run.
   */
  stillOurs(): Promise<boolean>;
}

/** The quick actions offered after a turn or an upload. */
export function quickButtons(locale: WorkEnvelope["locale"]): Button[] {
  const m = messages(locale);
  return [
    { intent: "export", label: m.buttonExport },
    { intent: "timeline", label: m.buttonTimeline },
    { intent: "credits", label: m.buttonCredits },
  ];
}

/** Calls a metrics hook without letting it break the work. */
export function emit<K extends keyof JobEvents>(events: JobEvents, name: K, ...args: Parameters<NonNullable<JobEvents[K]>>): void {
  try {
    (events[name] as ((...a: unknown[]) => void) | undefined)?.(...args);
  } catch {
    // Metrics are never worth failing a user's work.
  }
}
