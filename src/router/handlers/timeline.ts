import type { Button } from "../../chat/outbox.js";
import { isExportReady } from "../../nemo/draft.js";
import { sendTimeline } from "../../present/timeline-reply.js";
import type { Handler } from "../types.js";

/**
 * The timeline from the session's state, answered inline as a picture with the track summary under
 * it; an export button when there is something to export, and a refresh button that, pressed under
 * the picture, redraws it in place where the platform allows.
 */
export const timeline: Handler = async (ctx, intent) => {
  const { accounts, nemo, thumbnails } = ctx.deps;
  const { state, sessionId } = await accounts.withSession(ctx.ref, async (session) => {
    if (session.replacedLostSession) await ctx.reply(ctx.t.sessionReplaced);
    return { state: await nemo.state(session.auth, session.sessionId), sessionId: session.sessionId };
  });
  const buttons: Button[] = [];
  if (isExportReady(state.draft)) buttons.push({ intent: "export", label: ctx.t.buttonExport });
  buttons.push({ intent: "timeline-refresh", label: ctx.t.buttonRefreshTimeline });
  // Only Refresh swaps its own picture: the Timeline button under an edit's "what changed" keeps that message.
  const replace = intent.kind === "timeline" && intent.refresh === true ? ctx.message.pressedPicture : undefined;
  await sendTimeline({
    outbox: ctx.outbox,
    to: ctx.message.replyTo,
    locale: ctx.locale,
    draft: state.draft,
    buttons,
    ...(replace ? { replace } : {}),
    ...(thumbnails ? { thumbnails: { store: thumbnails, sessionId } } : {}),
    logger: ctx.log,
  });
};
