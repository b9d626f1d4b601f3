import type { Handler } from "../types.js";

/**
 * Export goes to the queue without looking at the draft first: an upload or edit queued just
 * before it may be what fills the timeline, so only the export job, running after them in order,
 * can tell "nothing to export yet".
 */
export const exportVideo: Handler = async (ctx) => {
  await ctx.submit([{ kind: "export" }], ["export"]);
};
