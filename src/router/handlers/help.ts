import { formatBytes, formatList } from "../../chat/error-text.js";
import type { Handler } from "../types.js";

/** /help, "help", "帮助". */
export const help: Handler = async (ctx) => {
  const { skill } = ctx.deps;
  await ctx.reply(ctx.t.help({ formats: formatList(skill.acceptedFormats), maxSize: formatBytes(skill.maxFileBytes) }));
};

/** A slash command we do not have: say so, never send it to the editor (it would cost credits). */
export const unknownCommand: Handler<{ kind: "unknown-command"; name: string }> = async (ctx, intent) => {
  await ctx.reply(ctx.t.unknownCommand({ name: intent.name }));
};
