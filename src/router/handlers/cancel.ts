import type { Handler } from "../types.js";

/** /cancel: drops this session's queued items and stops a running render, and says which. */
export const cancel: Handler = async (ctx) => {
  const outcome = await ctx.deps.work.cancel(ctx.ref);
  const said = { "cancelled-queued": ctx.t.cancelledQueued, "cancelled-running": ctx.t.cancelledRunning, nothing: ctx.t.cancelNothing };
  await ctx.reply(said[outcome]);
};
