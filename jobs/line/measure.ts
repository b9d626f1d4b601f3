import type { Logger } from "../../src/log.js";
import type { JobEvents } from "../context.js";
import type { DurationKind, Durations } from "./durations.js";

/** Records a finished item's duration for the estimates; a failure to record never fails the work. */
export function measure(durations: Durations, kind: DurationKind, ms: number, logger: Logger): void {
  void durations.record(kind, ms).catch((error: unknown) => logger.warn({ err: error, kind }, "place in line: duration not recorded"));
}

/**
 * The metrics hooks, plus the render's duration for the estimates: only renders that delivered
 * a video or its link (a cancelled or failed one says nothing about how long rendering takes).
 */
export function measuredEvents(events: JobEvents, durations: Durations, logger: Logger): JobEvents {
  return {
    ...events,
    onExportDone(ms, delivery) {
      if (delivery === "video" || delivery === "link") measure(durations, "render", ms, logger);
      events.onExportDone?.(ms, delivery);
    },
  };
}
