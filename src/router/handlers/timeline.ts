import { isExportReady, summarizeTimeline } from "../../nemo/draft.js";
import type { Handler } from "../types.js";

/** The track summary from the session's state, answered inline; an export button when there is something to export. */
export const timeline: Handler = async (ctx) => {
  const { accounts, nemo } = ctx.deps;
  const state = await accounts.withSession(ctx.ref, async (session) => {
    if (session.replacedLostSession) await ctx.reply(ctx.t.sessionReplaced);
    return nemo.state(session.auth, session.sessionId);
  });
  const buttons = isExportReady(state.draft) ? [{ intent: "export" as const, label: ctx.t.buttonExport }] : undefined;
  await ctx.reply(summarizeTimeline(state.draft, ctx.locale), buttons ? { buttons } : undefined);
};
