import type { Logger } from "../src/log.js";
import type { ReplyHandle } from "../src/chat/message.js";
import type { Outbox, SentRef } from "../src/chat/outbox.js";
import { RateLimitedError } from "../src/errors.js";

/** Minimum gap between two edits of one status message (Telegram: ~1/s per chat, ~20/min per group). */
export interface StatusPacing {
  privateMs: number;
  groupMs: number;
}

export const DEFAULT_PACING: StatusPacing = { privateMs: 1_100, groupMs: 3_100 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one status message of an item, edited in place. Edits are paced; texts set while waiting
 * coalesce to the latest, so a chatty stream costs one edit per gap, not one per event. The
 * adapter's `upsertStatus` treats "message is not modified" as success and posts a new message
 * when the old one is gone; we keep whatever ref it returns (and hand it to `onRef` so a resumed
 * job edits the same message).
 *
 * When the platform's limits are busy the outbox refuses an edit (RateLimitedError) rather than
 * queueing it behind answers and videos. The text then waits here, still replaced by any newer
 * one, and is tried again after the refusal's `retryAfterMs`; a text set as `droppable` (progress
 * the next poll will repeat) is given up instead, so its caller never waits for a slot.
 */
export class StatusMessage {
  private wanted: string | undefined;
  private wantedDroppable = false;
  private shown: string | undefined;
  private lastEditAt = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly to: ReplyHandle,
    private current: SentRef | undefined,
    private readonly pacing: StatusPacing,
    private readonly logger: Logger,
    private onRef?: (ref: SentRef) => Promise<void> | void,
  ) {}

  /** From now on a new message's ref goes to `onRef` (the item's job has parked: its step is no longer ours to save). */
  retarget(onRef: (ref: SentRef) => Promise<void> | void): void {
    this.onRef = onRef;
  }

  /**
   * Drops a text not yet shown and waits for an edit under way: the message's next words are
   * another writer's (the job that resumes a turn), and an edit of ours must not land after them.
   */
  async settle(): Promise<void> {
    this.wanted = this.shown;
    await this.flush();
  }

  get ref(): SentRef | undefined {
    return this.current;
  }

  /** The text the message shows now, as far as this object knows (undefined: none set through it yet). */
  get showing(): string | undefined {
    return this.shown;
  }

  /**
   * Shows `text` as soon as pacing allows (later calls replace earlier ones not yet shown).
   * `droppable`: when the platform is busy, skip it rather than wait (a progress figure).
   */
  set(text: string, options: { droppable?: boolean } = {}): void {
    this.wanted = text;
    this.wantedDroppable = options.droppable ?? false;
    if (!this.running && text !== this.shown) this.running = this.pump();
  }

  /** Shows `text` and waits until it is posted. */
  async show(text: string): Promise<void> {
    this.set(text);
    await this.flush();
  }

  /** Waits for every edit asked for so far. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** How long pacing wants before the next edit (0: now). A job parks for it rather than sleep. */
  msUntilNextEdit(): number {
    return Math.max(0, this.lastEditAt + this.gap() - Date.now());
  }

  /**
   * The item's last word (done, link sent, failed, cancelled): shown now, and unlike `show` it
   * throws when the platform refused the edit, so the caller can try again later instead of
   * leaving the message mid-sentence ("📦 Sending your video…") for good. `yields`: posted anew
   * (no message yet) it still gives way to answers and videos when the platform is busy.
   */
  async final(text: string, options: { yields?: boolean } = {}): Promise<void> {
    await this.flush();
    this.wanted = text;
    const before = this.current?.messageId;
    this.current = await this.outbox.upsertStatus(this.to, this.current, text, options.yields ? { yields: true } : {});
    this.shown = text;
    this.lastEditAt = Date.now();
    if (this.current.messageId !== before) await this.onRef?.(this.current);
  }

  private gap(): number {
    return this.to.chatKind === "group" ? this.pacing.groupMs : this.pacing.privateMs;
  }

  private async pump(): Promise<void> {
    // Never finish synchronously: `running` is assigned after this returns, and must be cleared after that.
    await Promise.resolve();
    try {
      while (this.wanted !== undefined && this.wanted !== this.shown) {
        const wait = this.lastEditAt + this.gap() - Date.now();
        if (wait > 0) await sleep(wait);
        // Settled meanwhile: nothing left to show.
        if (this.wanted === undefined || this.wanted === this.shown) break;
        const text = this.wanted;
        try {
          const before = this.current?.messageId;
          this.current = await this.outbox.upsertStatus(this.to, this.current, text, this.wantedDroppable ? { droppable: true } : {});
          if (this.current.messageId !== before) await this.onRef?.(this.current);
        } catch (error) {
          if (error instanceof RateLimitedError) {
            if (this.wantedDroppable) {
              this.wanted = this.shown;
              break;
            }
            // Busy: try again later with whatever text is the latest by then, no sooner than this
            // message's own pacing. The jitter spreads the many statuses refused at once.
            await sleep(Math.max(error.retryAfterMs, this.gap(), 20) * (1 + Math.random() / 2));
            continue;
          }
          // A status line is a courtesy: losing one edit must not fail the work it reports on.
          this.logger.warn({ err: error }, "status message edit failed");
        }
        this.shown = text;
        this.lastEditAt = Date.now();
      }
    } finally {
      // Cleared in the same tick as the loop's last check, so a `set` after it starts a new pump.
      this.running = undefined;
    }
  }
}
