/**
 * One timer for the limits of every open event stream of a client, instead of two timers (and their
 * closures) per stream: a worker holding ten thousand open turns wakes once a tick, walks the open
 * streams and ends those past their hard limit or silent for too long.
 *
 * A limit fires at most one tick late. The tick is a tenth of the shorter limit, between 10 ms and
 * 1 s: with the defaults (15 and 10 minutes) once a second.
 */

/** What the watchdog needs from one open stream. */
export interface Watched {
  /** When the hard limit runs out (ms since the epoch). */
  readonly hardAt: number;
  /** When the silence limit runs out; moved on by `quiet` each time the agent speaks. */
  silentAt: number;
  /** Called once, on the first tick past either limit; the stream is no longer watched after it. */
  expire(why: "hard" | "silent"): void;
}

export class StreamWatchdog {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  readonly tickMs: number;

  constructor(limits: { turnTimeoutMs: number; silentTimeoutMs: number }) {
    this.tickMs = Math.min(1_000, Math.max(10, Math.floor(Math.min(limits.turnTimeoutMs, limits.silentTimeoutMs) / 10)));
  }

  /** Number of streams watched now. */
  get size(): number {
    return this.watched.size;
  }

  watch(stream: Watched): void {
    this.watched.add(stream);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      // The streams keep the process alive, not their watchdog.
      this.timer.unref();
    }
  }

  unwatch(stream: Watched): void {
    this.watched.delete(stream);
    if (this.watched.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const stream of this.watched) {
      const why = now >= stream.hardAt ? "hard" : now >= stream.silentAt ? "silent" : undefined;
      if (why === undefined) continue;
      this.unwatch(stream);
      try {
        stream.expire(why);
      } catch {
        // One stream's failure to close must not stop the others' limits.
      }
    }
  }
}
