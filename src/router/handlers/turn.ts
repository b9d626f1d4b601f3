import type { Handler } from "../types.js";

/** Everything that is not a quick intent: one message to the editor, maybe exporting after it. */
export const turn: Handler<{ kind: "turn"; text: string; exportAfter: boolean }> = async (ctx, intent) => {
  await ctx.submit(
    [{ kind: "turn", text: intent.text, exportAfter: intent.exportAfter }],
    intent.exportAfter ? ["turn", "export"] : ["turn"],
  );
};
