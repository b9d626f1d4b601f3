import { createHash } from "node:crypto";
import type { MadeVideo, VideoMaker } from "./video-maker.js";
import type { RenderPlan } from "./render-plan.js";
import type { RenderShape } from "./types.js";

/**
 * Renders move pending → processing → completed by the clock alone: status is computed when asked,
 * so thousands of idle renders hold no timers. A render is completed only once its MP4 exists.
 */

export type RenderStatusName = "pending" | "processing" | "completed" | "failed";

export interface RenderRecord {
  id: string;
  userId: string;
  sessionId: string;
  createdAt: number;
  durationMs: number;
  fails: boolean;
  cancelled: boolean;
  shape: "A" | "B";
  video: MadeVideo | undefined;
  videoReadyAt: number | undefined;
  /** Why the MP4 could not be made (the render then ends failed, never completed without its edits). */
  makeError: string | undefined;
}

export interface RenderView {
  status: RenderStatusName;
  progress: number;
  completedAt: number | undefined;
  error: string | undefined;
}

export class RenderBook {
  private renders = new Map<string, RenderRecord>();

  constructor(
    private readonly maker: VideoMaker,
    private readonly shape: RenderShape,
    /** Each render's file names its render id (EmulatorOptions.markRenders). */
    private readonly mark = false,
  ) {}

  has(id: string): boolean {
    return this.renders.has(id);
  }
  get(id: string): RenderRecord | undefined {
    return this.renders.get(id);
  }

  start(input: { id: string; userId: string; sessionId: string; durationMs: number; fails: boolean; plan: RenderPlan }): RenderRecord {
    const record: RenderRecord = {
      id: input.id,
      userId: input.userId,
      sessionId: input.sessionId,
      createdAt: Date.now(),
      durationMs: input.durationMs,
      fails: input.fails,
      cancelled: false,
      shape: this.shape === "alternate" ? stableShape(input.id) : this.shape,
      video: undefined,
      videoReadyAt: undefined,
      makeError: undefined,
    };
    this.renders.set(record.id, record);
    if (!input.fails) {
      this.maker
        .make(input.plan)
        .then((video) => (this.mark ? this.maker.marked(video, record.id) : video))
        .then(
          (video) => {
            record.video = video;
            record.videoReadyAt = Date.now();
          },
          (error: unknown) => {
            record.makeError = error instanceof Error ? error.message : String(error);
          },
        );
    }
    return record;
  }

  view(record: RenderRecord, now = Date.now()): RenderView {
    if (record.cancelled) return { status: "failed", progress: this.progressAt(record, now), completedAt: undefined, error: "cancelled" };
    const elapsed = now - record.createdAt;
    if (elapsed < record.durationMs * 0.15) return { status: "pending", progress: 5, completedAt: undefined, error: undefined };
    if (elapsed < record.durationMs) return { status: "processing", progress: this.progressAt(record, now), completedAt: undefined, error: undefined };
    if (record.fails) return { status: "failed", progress: 95, completedAt: undefined, error: "render failed: the renderer could not process the draft" };
    if (record.makeError !== undefined) return { status: "failed", progress: 95, completedAt: undefined, error: "render failed: the video could not be made from this draft" };
    if (!record.video || record.videoReadyAt === undefined) return { status: "processing", progress: 99, completedAt: undefined, error: undefined };
    return { status: "completed", progress: 100, completedAt: Math.max(record.createdAt + record.durationMs, record.videoReadyAt), error: undefined };
  }

  cancel(record: RenderRecord): void {
    if (this.view(record).status !== "completed") record.cancelled = true;
  }

  private progressAt(record: RenderRecord, now: number): number {
    const fraction = Math.min(1, (now - record.createdAt) / Math.max(1, record.durationMs));
    return Math.min(95, Math.max(5, Math.floor(5 + 90 * fraction)));
  }
}

/** Half the ids answer in shape A, half in B, always the same for one id. */
export function stableShape(id: string): "A" | "B" {
  return (createHash("md5").update(id).digest()[0]! & 1) === 0 ? "A" : "B";
}

/** The status answer in the record's shape. */
export function statusBody(record: RenderRecord, view: RenderView, outputUrl: string): Record<string, unknown> {
  const done = view.status === "completed";
  if (record.shape === "A") {
    const body: Record<string, unknown> = { taskId: record.id, status: view.status, progress: view.progress };
    if (done && record.video) body.output = { url: outputUrl, duration: record.video.seconds, size: record.video.size };
    if (view.error) body.error = view.error;
    return body;
  }
  const data: Record<string, unknown> = {
    id: record.id,
    status: view.status,
    progress: view.progress,
    outputUrl: done ? outputUrl : null,
    createdAt: new Date(record.createdAt).toISOString(),
    completedAt: view.completedAt ? new Date(view.completedAt).toISOString() : null,
  };
  if (view.error) data.error = view.error;
  return { success: true, data };
}
