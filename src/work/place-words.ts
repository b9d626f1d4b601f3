import type { Messages } from "../i18n/index.js";

/**
 * The words for a place in line and a render's progress, shared by the status messages (jobs/)
 * and `/status` (the router), so both say the same thing the same way.
 */

/** `▓▓▓▓░░░░░░` for 40%. */
export function progressBar(percent: number, width = 10): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `${"▓".repeat(filled)}${"░".repeat(width - filled)}`;
}

/** "about 40 s", "about 3 min", "约 2 小时": coarse on purpose, so the words change rarely. */
export function aboutWords(m: Messages, ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return m.about({ value: Math.max(5, Math.ceil(seconds / 5) * 5), unit: "s" });
  if (seconds < 3600) return m.about({ value: Math.round(seconds / 60), unit: "min" });
  return m.about({ value: Math.round(seconds / 3600), unit: "h" });
}

/** "⏳ Queued: 2 ahead of you · about 40 s" (no number without measurements). */
export function placeWords(m: Messages, place: { ahead: number; etaMs: number | undefined }): string {
  return m.queuedPlace({ ahead: place.ahead, ...(place.etaMs === undefined ? {} : { eta: aboutWords(m, place.etaMs) }) });
}

/** "▓▓▓▓░░░░░░ 42% · about 1 min left". */
export function renderProgressWords(m: Messages, percent: number, leftMs: number | undefined): string {
  return m.renderProgress({
    bar: progressBar(percent),
    percent: Math.round(percent),
    ...(leftMs === undefined ? {} : { left: aboutWords(m, leftMs) }),
  });
}
