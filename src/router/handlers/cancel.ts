import type { CancelTarget, WorkItem } from "../../work/types.js";
import type { Handler } from "../types.js";
import { itemLabel } from "./status.js";

/** The words `/cancel` takes for a kind of item, in both languages. */
const KIND_WORDS: Record<string, WorkItem["kind"]> = {
  edit: "turn",
  turn: "turn",
  message: "turn",
  编辑: "turn",
  upload: "upload",
  file: "upload",
  上传: "upload",
  export: "export",
  render: "export",
  导出: "export",
  渲染: "export",
};

function targetOf(args: string): CancelTarget | undefined {
  const word = args.trim().toLowerCase().replace(/^#/, "");
  if (/^\d+$/.test(word)) return { number: Number(word) };
  const kind = KIND_WORDS[word];
  return kind ? { kind } : undefined;
}

/**
 * /cancel: drops this session's queued items and stops a running render, and says which.
 * /cancel 2 (the number /status shows) or /cancel export|upload|edit: that one item only.
 */
export const cancel: Handler<{ kind: "command"; command: "cancel"; args: string }> = async (ctx, intent) => {
  const which = intent.args.trim();
  if (which !== "") {
    const target = targetOf(which);
    const result = target ? await ctx.deps.work.cancelOne(ctx.ref, target) : { outcome: "not-found" as const };
    if (result.outcome === "not-found") await ctx.reply(ctx.t.cancelNoSuchItem({ which }));
    else if (result.outcome === "running") await ctx.reply(ctx.t.cancelRunningItem({ item: itemLabel(ctx.t, result.item) }));
    else await ctx.reply(ctx.t.cancelledOne({ item: itemLabel(ctx.t, result.item) }));
    return;
  }
  const outcome = await ctx.deps.work.cancel(ctx.ref);
  const said = { "cancelled-queued": ctx.t.cancelledQueued, "cancelled-running": ctx.t.cancelledRunning, nothing: ctx.t.cancelNothing };
  await ctx.reply(said[outcome]);
};
