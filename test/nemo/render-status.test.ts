import { describe, expect, it } from "vitest";
import { normalizeRenderStatus } from "../../src/nemo/render-status.js";
import { unwrapEnvelope } from "../../src/nemo/envelope.js";

describe("render status, whichever shape it comes in", () => {
  it("reads shape A: taskId and output{url,duration,size}", () => {
    const a = { taskId: "render_1", status: "completed", progress: 100, output: { url: "https://cdn/x.mp4", duration: 10.5, size: 1234 }, extra: true };
    expect(normalizeRenderStatus(a, "render_1")).toEqual({
      id: "render_1",
      status: "completed",
      progress: 100,
      outputUrl: "https://cdn/x.mp4",
      duration: 10.5,
      size: 1234,
    });
  });

  it("reads shape B inside {success,data}: id and outputUrl", () => {
    const b = { success: true, data: { id: "render_2", status: "processing", progress: 42, outputUrl: null, createdAt: "t", completedAt: null } };
    expect(normalizeRenderStatus(unwrapEnvelope(b, "x"), "render_2")).toEqual({ id: "render_2", status: "processing", progress: 42 });
  });

  it("reads snake_case spellings and clamps progress to 0..100", () => {
    expect(normalizeRenderStatus({ task_id: "r", status: "done", progress: 140, output_url: "/f.mp4" }, "r")).toMatchObject({
      status: "completed",
      progress: 100,
      outputUrl: "/f.mp4",
    });
    expect(normalizeRenderStatus({ id: "r", status: "queued", progress: -3 }, "r").progress).toBe(0);
    expect(normalizeRenderStatus({ id: "r", status: "RUNNING", progress: "55%" }, "r")).toMatchObject({ status: "processing", progress: 55 });
  });

  it("keeps the failure reason of a failed render", () => {
    expect(normalizeRenderStatus({ id: "r", status: "failed", error: "codec" }, "r")).toMatchObject({ status: "failed", error: "codec" });
  });

  it("uses the id asked about when the answer names none, and the start default when it has no status", () => {
    expect(normalizeRenderStatus({ progress: 5 }, "render_x", "pending")).toEqual({ id: "render_x", status: "pending", progress: 5 });
  });

  it("throws bad_response for an answer that is not an object", () => {
    expect(() => normalizeRenderStatus("nope", "r")).toThrow(/not an object/);
  });
});
