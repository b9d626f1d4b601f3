import type { SessionContext } from "../src/accounts/types.js";
import type { SentRef } from "../src/chat/outbox.js";
import { NemoError, isNemoError } from "../src/errors.js";
import { messages } from "../src/i18n/index.js";
import { isExportReady } from "../src/nemo/draft.js";
import type { Draft, RenderStatus } from "../src/nemo/types.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { emit, type ItemRun, type JobContext, type StepOutcome } from "./context.js";
import { deliverRender } from "./delivery.js";
import { failureText, noteReplacedSession } from "./replies.js";
import { StatusMessage } from "./status-message.js";

/**
 * Export, in two parts.
 *
 * 1. In the session's mailbox, in order with the session's other items: read the state, check the
 *    draft is ready, capture it, and hand it to the render queue. Capturing here means the video is
 *    the draft as it stood after everything the user asked for before "export", whatever they ask
 *    for next.
 * 2. In the render queue, outside the mailbox: start the render, poll it as delayed steps, deliver.
 *    So "export, then keep editing" works: the session's next item runs while the render proceeds,
 *    and cannot change the video being rendered. The render id is chosen and stored before the
 *    POST; each poll is a delayed job step, so no worker slot is held between polls and a restart
 *    (or a SIGKILL) resumes the poll instead of starting a second render.
 */

export async function runExportCapture(ctx: JobContext, run: ItemRun): Promise<StepOutcome> {
  const { envelope } = run;
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  let statusRef = run.step.statusRef;
  const status = new StatusMessage(outbox, envelope.replyTo, statusRef, ctx.pacing, ctx.logger, async (ref) => {
    statusRef = ref;
    await run.save({ ...run.step, statusRef: ref });
  });
  await status.show(m.exportPreparing);
  let who: SessionContext | undefined;
  try {
    const { state, sessionId } = await ctx.accounts.withSession(envelope.session, async (session) => {
      who = session;
      await noteReplacedSession(ctx, envelope, session);
      return { state: await ctx.nemo.state(session.auth, session.sessionId), sessionId: session.sessionId };
    });
    if (!state.draft || !isExportReady(state.draft)) {
      await status.show(m.exportNotReady);
      await outbox.sendText(envelope.replyTo, m.exportNotReady);
      return { done: true };
    }
    const started = await ctx.startRender(envelope, sessionId, state.draft, status.ref);
    if (started === "already-rendering") await status.show(m.exportAlreadyRendering);
  } catch (error) {
    ctx.logger.info({ err: error, item: envelope.id }, "export could not start");
    await outbox.sendText(envelope.replyTo, failureText(error, envelope.locale, ctx.config, who, ctx.events));
    await status.show(m.turnStopped);
  }
  return { done: true };
}

export interface RenderStep {
  phase: "start" | "poll";
  /** 1, then 2 for the one retry after `failed`. */
  attempt: number;
  renderId?: string;
  statusRef?: SentRef;
  startedAt: number;
  /** Poll errors in a row (the network, a 5xx): a few are waited out. */
  pollErrors?: number;
}

export interface RenderJobData {
  envelope: WorkEnvelope;
  sessionKey: string;
  sessionId: string;
  draft: Draft;
  step: RenderStep;
}

export type RenderOutcome = { done: true } | { done: false; delayMs: number; step: RenderStep };

const MAX_POLL_ERRORS = 10;

/** `▓▓▓▓░░░░░░ 40%` */
export function progressBar(percent: number, width = 10): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `${"▓".repeat(filled)}${"░".repeat(width - filled)}`;
}

function isUnknownRender(error: unknown): boolean {
  return isNemoError(error) && error.status === 404;
}

const TRANSIENT = new Set(["network", "timeout", "server", "rate_limited", "bad_response"]);

export async function runRenderStep(
  ctx: JobContext,
  data: RenderJobData,
  save: (step: RenderStep) => Promise<void>,
  signal: AbortSignal,
): Promise<RenderOutcome> {
  const { envelope } = data;
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  let step = data.step;
  const persist = async (next: RenderStep) => {
    step = next;
    await save(step);
  };
  const status = new StatusMessage(outbox, envelope.replyTo, step.statusRef, ctx.pacing, ctx.logger, (ref) =>
    persist({ ...step, statusRef: ref }),
  );
  const finish = async (text: string, delivery: "video" | "link" | "error" | "cancelled"): Promise<RenderOutcome> => {
    if (delivery === "video" || delivery === "link") {
      // The video is out: the last edit waits for its pacing gap without holding a worker slot
      // (StatusMessage logs, never throws, a failed edit).
      status.set(text);
      void status.flush();
    } else {
      await status.show(text);
    }
    emit(ctx.events, "onExportDone", Date.now() - step.startedAt, delivery);
    return { done: true };
  };

  if ((await ctx.markers.get("delivered", envelope.id)) !== null) return finish(m.exportDone, "video");

  let who: SessionContext | undefined;
  try {
    return await ctx.accounts.withSession(envelope.session, async (session) => {
      who = session;
      const auth = session.auth;
      if ((await ctx.markers.get("cancel", envelope.id)) !== null) {
        if (step.renderId !== undefined) {
          await ctx.nemo.cancelRender(auth, step.renderId).catch((error: unknown) => {
            ctx.logger.info({ err: error, item: envelope.id }, "render cancel refused (it may have finished)");
          });
        }
        return finish(m.exportCancelled, "cancelled");
      }

      for (;;) {
        let render: RenderStatus | undefined;
        if (step.phase === "start") {
          if (step.renderId !== undefined) {
            // Resumed after a crash around the POST: the render may already exist under its stored id.
            render = await ctx.nemo.renderStatus(auth, step.renderId).catch((error: unknown) => {
              if (isUnknownRender(error)) return undefined;
              throw error;
            });
          } else {
            await persist({ ...step, renderId: `render_${envelope.id}_${step.attempt}` });
          }
          const renderId = step.renderId as string;
          render ??= await ctx.nemo.startRender(auth, { id: renderId, sessionId: data.sessionId, draft: data.draft });
          await persist({ ...step, phase: "poll", pollErrors: 0 });
        } else {
          try {
            render = await ctx.nemo.renderStatus(auth, step.renderId as string);
          } catch (error) {
            const errors = (step.pollErrors ?? 0) + 1;
            if (!(isNemoError(error) && TRANSIENT.has(error.code)) || errors > MAX_POLL_ERRORS) throw error;
            ctx.logger.warn({ err: error, item: envelope.id }, "render status unreadable; polling again later");
            return { done: false, delayMs: ctx.config.RENDER_POLL_MS, step: { ...step, pollErrors: errors } };
          }
        }

        if (render.status === "failed") {
          if (step.attempt >= 2) throw new NemoError("render_failed", `render ${render.id} failed twice`);
          ctx.logger.info({ item: envelope.id, renderId: render.id }, "render failed: one retry with a new id");
          await status.show(m.exportRetrying);
          await persist({ ...step, phase: "start", attempt: step.attempt + 1, renderId: undefined, pollErrors: 0 });
          continue;
        }
        if (render.status === "completed") {
          // "Delivering…" is progress too: when the chat platform is busy the video itself goes sooner without it.
          status.set(m.exportDelivering, { droppable: true });
          await status.flush();
          const how = await deliverRender(ctx, envelope, session, render, signal);
          return finish(m.exportDone, how === "link" ? "link" : "video");
        }
        // Progress is droppable: when the chat platform is busy the next poll shows a newer figure,
        // and this step must not hold its render slot waiting for a send slot.
        status.set(m.exportProgress({ bar: progressBar(render.progress), percent: Math.round(render.progress) }), { droppable: true });
        await status.flush();
        return { done: false, delayMs: ctx.config.RENDER_POLL_MS, step: { ...step, pollErrors: 0 } };
      }
    });
  } catch (error) {
    if (signal.aborted) return { done: false, delayMs: 0, step };
    // Not the backend's answer (the chat platform or Redis failed): let the job retry from its saved step.
    if (!isNemoError(error)) throw error;
    ctx.logger.info({ err: error, item: envelope.id }, "export failed");
    await outbox.sendText(envelope.replyTo, failureText(error, envelope.locale, ctx.config, who, ctx.events));
    return finish(m.turnStopped, "error");
  }
}
