import type { Handler } from "../types.js";

/** Credits, answered inline: a token is enough, no session is made for it. */
export const credits: Handler = async (ctx) => {
  const { accounts, nemo } = ctx.deps;
  const balance = await accounts.withToken(ctx.message.userKey, (auth) => nemo.credits(auth));
  await ctx.reply(ctx.t.credits(balance));
};
