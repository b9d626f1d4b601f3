import type { Handler } from "../types.js";

/** /start: the skill profile's greeting and example prompts. */
export const start: Handler = async (ctx) => {
  const { skill } = ctx.deps;
  await ctx.reply(ctx.t.startGreeting({ greeting: skill.greeting[ctx.locale], examples: skill.examples[ctx.locale] }));
};
