import type { Handler } from "../types.js";

/** /new: forget this chat's session; the next request makes a fresh one. */
export const newSession: Handler = async (ctx) => {
  await ctx.deps.accounts.resetSession(ctx.ref);
  await ctx.reply(ctx.t.newSession);
};
