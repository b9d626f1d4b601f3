import type { WorkEnvelope } from "../../src/work/types.js";

/**
 * Items queued with nothing of their own before them wait only when no worker slot is free, which
 * takes a moment to tell: each is looked at again once it has waited `delayMs`, and announced
 * ("⏳ Queued: you're next") if it still waits.
 *
 * The look is made for every item the bot queues, so it is made for many at once: the items that
 * came due within `batchMs` of each other are checked with one Redis command, and only those still
 * waiting are announced, a few at a time. One timer and one check per batch cost the bot far less
 * CPU than a timer and two line reads per item (`npm run bench -- ingress`: about a third of the
 * bot's CPU per update went to those). Announcing a few at a time also lets the first refusal of
 * the platform's limits (a burst of new users, no slot free) skip the rest of the burst before each
 * of them reads its line and takes a lease (see REFUSED_STATUS_BACKOFF_MS).
 */
export interface SlotCheckOptions {
  delayMs: number;
  /** How much later than its `delayMs` an item may be looked at, so that neighbours share a check. */
  batchMs?: number;
  /** How many announces run at once. */
  concurrency?: number;
  /** Which of these items still wait in their mailboxes (one command). */
  stillWaiting(envelopes: readonly WorkEnvelope[]): Promise<boolean[]>;
  /** Says that the item waits (never rejects). */
  announce(envelope: WorkEnvelope): Promise<void>;
  /** A failed check: its items go unannounced (the workers' sweep posts them if they still wait). */
  onError(error: unknown): void;
}

/** Items per check command (its keys and arguments). */
const MAX_CHECK = 500;

export class SlotCheck {
  /** In the order added, so in the order due. */
  private pending: { envelope: WorkEnvelope; due: number }[] = [];
  /** Still waiting, to be announced: `toAnnounce[next]` is the next. */
  private toAnnounce: WorkEnvelope[] = [];
  private next = 0;
  private announcing = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SlotCheckOptions) {}

  add(envelope: WorkEnvelope, now = Date.now()): void {
    if (this.closed) return;
    this.pending.push({ envelope, due: now + this.options.delayMs });
    if (!this.timer) this.arm(this.options.delayMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.toAnnounce = [];
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, ms) + (this.options.batchMs ?? 25));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    let count = 0;
    while (count < this.pending.length && (this.pending[count]?.due ?? Infinity) <= now) count++;
    const due = this.pending.slice(0, count).map((p) => p.envelope);
    this.pending = this.pending.slice(count);
    const next = this.pending[0];
    if (next) this.arm(next.due - now);
    for (let i = 0; i < due.length; i += MAX_CHECK) void this.check(due.slice(i, i + MAX_CHECK));
  }

  private async check(envelopes: WorkEnvelope[]): Promise<void> {
    let waiting: boolean[];
    try {
      waiting = await this.options.stillWaiting(envelopes);
    } catch (error) {
      this.options.onError(error);
      return;
    }
    if (this.closed) return;
    envelopes.forEach((envelope, i) => {
      if (waiting[i]) this.toAnnounce.push(envelope);
    });
    const lanes = Math.min(this.options.concurrency ?? 4, this.toAnnounce.length - this.next) - this.announcing;
    for (let i = 0; i < lanes; i++) void this.announceLane();
  }

  private take(): WorkEnvelope | undefined {
    const envelope = this.toAnnounce[this.next];
    if (envelope === undefined) return undefined;
    this.next += 1;
    if (this.next === this.toAnnounce.length) {
      this.toAnnounce = [];
      this.next = 0;
    }
    return envelope;
  }

  private async announceLane(): Promise<void> {
    this.announcing += 1;
    try {
      for (let envelope = this.take(); envelope && !this.closed; envelope = this.take()) await this.options.announce(envelope);
    } finally {
      this.announcing -= 1;
    }
  }
}
