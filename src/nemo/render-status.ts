import { NemoError } from "../errors.js";
import type { RenderState, RenderStatus } from "./types.js";
import { asRecord, pick, pickNumber, pickString, type JsonRecord } from "./lenient.js";

/**
 * Render answers come in two shapes (after the envelope is unwrapped):
 *   A: {taskId, status, progress, output: {url, duration, size}}
 *   B: {id, status, progress, outputUrl, createdAt, completedAt}
 * plus snake_case spellings. Both become one RenderStatus; unknown fields are ignored.
 */

const STATE_WORDS: Record<string, RenderState> = {
  pending: "pending",
  queued: "pending",
  waiting: "pending",
  created: "pending",
  submitted: "pending",
  processing: "processing",
  running: "processing",
  rendering: "processing",
  in_progress: "processing",
  started: "processing",
  completed: "completed",
  complete: "completed",
  done: "completed",
  success: "completed",
  succeeded: "completed",
  finished: "completed",
  failed: "failed",
  failure: "failed",
  error: "failed",
  cancelled: "failed",
  canceled: "failed",
};

/** A backend status word as one of the four states; words we do not know read as still processing. */
export function renderStateOf(word: string | undefined, fallback: RenderState): RenderState {
  if (word === undefined || word.trim() === "") return fallback;
  return STATE_WORDS[word.trim().toLowerCase().replace(/[\s-]+/g, "_")] ?? "processing";
}

export function clampProgress(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return Math.min(100, Math.max(0, value));
}

/**
 * @param data the unwrapped answer
 * @param knownId the render id the caller asked about, used when the answer names none
 * @param fallback the state to assume when the answer has no status (a fresh start is `pending`)
 */
export function normalizeRenderStatus(data: unknown, knownId: string, fallback: RenderState = "processing"): RenderStatus {
  const record = asRecord(data);
  if (!record) throw new NemoError("bad_response", `render ${knownId}: the answer is not an object`);
  // Some gateways nest the status one level further down; read that level when the top has no status.
  const inner = asRecord(record.data);
  const source: JsonRecord = pick(record, "status", "state") === undefined && inner ? inner : record;

  const output = asRecord(pick(source, "output", "result"));
  const status = renderStateOf(pickString(source, "status", "state"), fallback);
  const progress = clampProgress(pickNumber(source, "progress", "percent", "percentage"));

  const result: RenderStatus = {
    id: pickString(source, "id", "taskId", "task_id", "renderId", "render_id") ?? knownId,
    status,
    progress: progress ?? (status === "completed" ? 100 : 0),
  };
  const outputUrl =
    pickString(source, "outputUrl", "output_url", "url", "downloadUrl", "download_url") ??
    pickString(output, "url", "outputUrl", "output_url", "downloadUrl", "download_url");
  if (outputUrl) result.outputUrl = outputUrl;
  const duration = pickNumber(output, "duration") ?? pickNumber(source, "duration");
  if (duration !== undefined) result.duration = duration;
  const size = pickNumber(output, "size", "bytes") ?? pickNumber(source, "size", "bytes");
  if (size !== undefined) result.size = size;
  const error =
    pickString(source, "error", "errorMessage", "error_message", "message", "reason") ??
    pickString(asRecord(source.error), "message", "msg");
  if (error && status === "failed") result.error = error;
  return result;
}
