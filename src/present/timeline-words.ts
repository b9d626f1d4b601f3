import type { Messages } from "../i18n/index.js";

/** Times and lengths on a timeline in words, shared by the track summary and the change words. */

/** Seconds with at most one decimal ("2.5"), or m:ss when `clock`. */
export function formatTime(ms: number, clock: boolean): string {
  if (clock) {
    const total = Math.round(ms / 1000);
    const minutes = Math.floor(total / 60);
    return `${minutes}:${String(total % 60).padStart(2, "0")}`;
  }
  return String(Math.round(ms / 100) / 10);
}

export function formatSpan(m: Messages, startMs: number, endMs: number | undefined): string | undefined {
  if (endMs === undefined) {
    if (startMs <= 0) return undefined;
    const clock = startMs >= 60_000;
    return m.timelineFrom({ from: formatTime(startMs, clock), clock });
  }
  const clock = endMs >= 60_000;
  return m.timelineSpan({ from: formatTime(startMs, clock), to: formatTime(endMs, clock), clock });
}

export function formatLength(m: Messages, ms: number): string {
  const clock = ms >= 60_000;
  return m.timelineLength({ length: formatTime(ms, clock), clock });
}

/** Math.max/min over a list without spreading it into arguments (which overflows on long lists). */
export function maxOf(values: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const v of values) if (best === undefined || v > best) best = v;
  return best;
}

export function minOf(values: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const v of values) if (best === undefined || v < best) best = v;
  return best;
}
