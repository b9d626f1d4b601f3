import type { SessionContext } from "../src/accounts/types.js";
import type { SentRef } from "../src/chat/outbox.js";
import { NemoError, RateLimitedError, isNemoError } from "../src/errors.js";
import { messages, type Messages } from "../src/i18n/index.js";
import { isExportReady } from "../src/nemo/draft.js";
import type { Draft, RenderStatus } from "../src/nemo/types.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { emit, type ItemRun, type JobContext, type StepOutcome } from "./context.js";
import { backoffDelay, deliverRender, retryAfterMsOf, slotWaitMs, type DeliveryState, type FinishedRender } from "./delivery.js";
import { removeDeliveryFiles } from "./export-files.js";
import { failureText, noteReplacedSession } from "./replies.js";
import { StatusMessage } from "./status-message.js";
import { renderEtaMs, type ProgressReading } from "./line/estimate.js";
import { renderProgressWords } from "../src/work/place-words.js";
import { progressTurnsPerPoll } from "./progress-turns.js";

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
  // No status message of its own here: the render job posts it, in its turn among the chats
  // waiting for one. Waiting for a send slot here would pace render starts by the chat platform's
  // queue (2,000 exports at once: renders started over minutes instead of seconds). A queued
  // status the item took over is handed on to the render.
  const status = new StatusMessage(outbox, envelope.replyTo, run.step.statusRef, ctx.pacing, ctx.logger, async (ref) => {
    await run.save({ ...run.step, statusRef: ref });
  });
  /** An answer that ends the export here: in its status message if it has one, else as a message. */
  const answer = async (text: string, alsoAsText: boolean) => {
    if (status.ref) await status.show(text);
    if (alsoAsText || !status.ref) await outbox.sendText(envelope.replyTo, text);
  };
  let who: SessionContext | undefined;
  try {
    const { state, sessionId } = await ctx.accounts.withSession(envelope.session, async (session) => {
      who = session;
      await noteReplacedSession(ctx, envelope, session);
      return { state: await ctx.nemo.state(session.auth, session.sessionId), sessionId: session.sessionId };
    });
    if (!state.draft || !isExportReady(state.draft)) {
      await answer(m.exportNotReady, true);
      return { done: true };
    }
    const started = await ctx.startRender(envelope, sessionId, state.draft, status.ref);
    if (started === "already-rendering") await status.show(m.exportAlreadyRendering);
  } catch (error) {
    // Not the backend's answer (Redis, the queue, a lock): nothing says the export cannot start, so the
    // item is tried again from its saved step (the drainer's retries) instead of telling the user it
    // failed while a retry or a takeover goes on to deliver it. Starting twice is harmless: the render
    // job's id is the item's.
    if (!isNemoError(error)) throw error;
    ctx.logger.info({ err: error, item: envelope.id }, "export could not start");
    await outbox.sendText(envelope.replyTo, failureText(error, envelope.locale, ctx.config, who, ctx.events));
    if (status.ref) await status.show(m.turnStopped);
  }
  return { done: true };
}

export type RenderDelivery = "video" | "link" | "no-link" | "error" | "cancelled";

export interface RenderStep {
  /** start → poll → deliver → finish (the status message's last word). */
  phase: "start" | "poll" | "deliver" | "finish";
  /** 1, then 2 for the one retry after `failed`. */
  attempt: number;
  renderId?: string;
  statusRef?: SentRef;
  startedAt: number;
  /** Poll errors in a row (the network, a 5xx): a few are waited out. */
  pollErrors?: number;
  /** The completed render, once seen (deliver phase). */
  output?: FinishedRender;
  /** A delivery's retries (deliver phase). */
  delivery?: DeliveryState;
  /** The status message's final text and the outcome it reports (finish phase). */
  final?: { text: string; outcome: RenderDelivery };
  /** Final status edits the platform refused so far. */
  finalTries?: number;
  /** When the chat last saw this render's status change (its start, a progress figure): whose progress goes next. */
  shownAt?: number;
  /** The first and the latest progress figures (poll phase): their rate gives the time left. */
  firstReading?: ProgressReading;
  lastReading?: ProgressReading;
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
/** Final status edits that failed (not for a busy platform) before giving up on the courtesy (the result itself is delivered). */
const MAX_FINAL_TRIES = 6;
/** A last word far back in line looks again at least this often (the line moves as chats are served). */
const FINAL_MAX_PARK_MS = 10_000;

export { progressBar } from "../src/work/place-words.js";

function isUnknownRender(error: unknown): boolean {
  return isNemoError(error) && error.status === 404;
}

const TRANSIENT = new Set(["network", "timeout", "server", "rate_limited", "bad_response"]);

/** The status message's last word for each way an export can end. */
export function finalStatusText(m: Messages, outcome: RenderDelivery): string {
  switch (outcome) {
    case "video":
      return m.exportDone;
    case "link":
      return m.exportDoneLink;
    case "no-link":
      return m.exportDoneNoLink;
    case "cancelled":
      return m.exportCancelled;
    case "error":
      return m.exportFailed;
  }
}

export async function runRenderStep(
  ctx: JobContext,
  data: RenderJobData,
  save: (step: RenderStep) => Promise<void>,
  signal: AbortSignal,
  /** Whether this run still holds the render job (asked right before the video is posted). */
  stillOurs: () => Promise<boolean> = async () => true,
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

  /** The last status edit, as its own step: retried when refused, and never waiting in a slot for pacing. */
  const settle = async (): Promise<RenderOutcome> => {
    const final = step.final ?? { text: m.exportDone, outcome: "video" as const };
    // No status message ever went out (the chat's first word was the video itself, or the link, or
    // why not): a "✅ Your video is ready." posted anew after the video says nothing new, costs a send
    // slot when the platform is busiest, and, arriving seconds later, reads as the answer to the
    // user's next message. Only a cancel, which nothing else answers, still gets its word.
    if (!status.ref && final.outcome !== "cancelled") {
      await forgetProgressTurn();
      emit(ctx.events, "onExportDone", Date.now() - step.startedAt, final.outcome === "no-link" ? "link" : final.outcome);
      return { done: true };
    }
    // Last words go in the order their chats have waited: the chat silent longest first, so no
    // chat's silence runs on while fresher ones are served. A final far back in line parks for
    // about as long as the ones before it take at the platform's rate.
    const behind = await turnsAhead(finalTurnsPerSecond());
    if (behind > 0 && !signal.aborted) return { done: false, delayMs: Math.min(FINAL_MAX_PARK_MS, Math.max(1_000, (behind * 1000) / finalTurnsPerSecond())), step };
    try {
      await status.final(final.text, { yields: true });
      await forgetProgressTurn();
    } catch (error) {
      // A busy platform is no failure: the final word waits its turn, however long (progress is
      // what gets dropped under pressure, never this). Other refusals are tried a few times.
      if (error instanceof RateLimitedError && !signal.aborted) {
        ctx.logger.debug({ item: envelope.id, retryAfterMs: error.retryAfterMs }, "final status edit waits for a send slot");
        return { done: false, delayMs: slotWaitMs(error.retryAfterMs, ctx.config.DELIVERY_RETRY_MS), step };
      }
      const tries = (step.finalTries ?? 0) + 1;
      if (tries < MAX_FINAL_TRIES && !signal.aborted) {
        ctx.logger.info({ err: error, item: envelope.id, tries }, "final status edit refused; trying again later");
        return { done: false, delayMs: retryAfterMsOf(error) ?? backoffDelay(ctx.config.DELIVERY_RETRY_MS, tries), step: { ...step, finalTries: tries } };
      }
      ctx.logger.warn({ err: error, item: envelope.id }, "final status edit failed for good");
      await forgetProgressTurn();
    }
    emit(ctx.events, "onExportDone", Date.now() - step.startedAt, final.outcome === "no-link" ? "link" : final.outcome);
    return { done: true };
  };
  const finish = async (outcome: RenderDelivery): Promise<RenderOutcome> => {
    // The chat just heard from us (the video, its link, or why not): its last word waits its turn from now.
    await persist({ ...step, phase: "finish", final: { text: finalStatusText(m, outcome), outcome }, shownAt: Date.now() });
    const wait = status.msUntilNextEdit();
    if (wait > 0) return { done: false, delayMs: wait, step };
    return settle();
  };

  if (step.phase === "finish") return settle();
  const delivered = await ctx.markers.get("delivered", envelope.id);
  if (delivered !== null) return finish(delivered === "link" || delivered === "no-link" ? delivered : "video");

  let who: SessionContext | undefined;
  /** This step started the render: nothing is known of its rate yet. */
  let justStarted = false;
  try {
    // Polling reads: the user's token and the render's own session, never a new session.
    return await ctx.accounts.withExistingSession(envelope.session, async (session) => {
      who = session;
      const auth = session.auth;
      if ((await ctx.markers.get("cancel", envelope.id)) !== null) {
        if (step.renderId !== undefined && step.phase !== "deliver") {
          await ctx.nemo.cancelRender(auth, step.renderId).catch((error: unknown) => {
            ctx.logger.info({ err: error, item: envelope.id }, "render cancel refused (it may have finished)");
          });
        }
        if (step.renderId !== undefined) await removeDeliveryFiles(ctx.config.EXPORT_DIR, step.renderId);
        return finish("cancelled");
      }

      for (;;) {
        let render: RenderStatus | undefined;
        if (step.phase === "deliver") {
          // A retried delivery asks again: a signed output URL may have expired meanwhile.
          const fresh = await ctx.nemo.renderStatus(auth, step.renderId as string).catch(() => undefined);
          const output = fresh?.status === "completed" ? finishedRender(fresh) : step.output;
          return deliver(output ?? { id: step.renderId as string }, session);
        }
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
          render ??= await startOrAdopt(auth, renderId);
          await persist({ ...step, phase: "poll", pollErrors: 0 });
          justStarted = true;
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
          // No "Sending your video…" first: an edit in the chat holds the video back a second (one
          // message a second per chat), and the video is the news. While it uploads the chat shows
          // the platform's "sending video" activity instead. Out of the status line until its last word.
          await forgetProgressTurn();
          await persist({ ...step, phase: "deliver", output: finishedRender(render) });
          return deliver(finishedRender(render), session);
        }
        // Progress is droppable: when the chat platform is busy the next poll shows a newer figure,
        // and this step must not hold its render slot waiting for a send slot.
        const reading: ProgressReading = { percent: render.progress, at: Date.now() };
        // The rate is measured from the last moment the figure still stood at its first value: a
        // render queued at the backend ("pending, 5%") has not started moving, and waiting there
        // says nothing about how fast it renders.
        const first = step.firstReading && reading.percent > step.firstReading.percent ? step.firstReading : reading;
        const etaMs = renderEtaMs(first, reading);
        const progress = renderProgressWords(m, render.progress, etaMs);
        // The first words of a render without a status message yet (an export that did not wait in line).
        const text = justStarted && !status.ref ? m.exportPreparing : m.exportProgress({ progress });
        const shownAt = (await myTurnForProgress()) ? await showProgress(text) : undefined;
        // Right after the start nothing says how fast it renders: the next poll comes early, to
        // measure the rate and poll again when it says the render is done.
        return { done: false, delayMs: justStarted ? nextRenderPollMs(ctx.config.RENDER_POLL_MS, 0) : nextPollMs(etaMs), step: { ...step, pollErrors: 0, firstReading: first, lastReading: reading, ...(shownAt !== undefined ? { shownAt } : {}) } };
      }
    }, data.sessionId);
  } catch (error) {
    if (signal.aborted) return { done: false, delayMs: 0, step };
    // Not the backend's answer (the chat platform or Redis failed): let the job retry from its saved step.
    if (!isNemoError(error)) throw error;
    ctx.logger.info({ err: error, item: envelope.id }, "export failed");
    await outbox.sendText(envelope.replyTo, failureText(error, envelope.locale, ctx.config, who, ctx.events));
    return finish("error");
  }

  /** Whether this render's chat has waited long enough, among all the platform's renders, to try a progress edit now. */
  async function myTurnForProgress(): Promise<boolean> {
    const turns = progressTurnsPerPoll(messagesPerSecondOf(ctx, envelope.replyTo.platform), ctx.config.RENDER_POLL_MS);
    return (await turnsAhead(turns)) === 0;
  }

  /** The last word's share: the chats that the platform can serve in the next second. */
  function finalTurnsPerSecond(): number {
    const perSecond = messagesPerSecondOf(ctx, envelope.replyTo.platform);
    return Number.isFinite(perSecond) ? Math.max(1, Math.floor(perSecond)) : Number.POSITIVE_INFINITY;
  }

  /**
   * How many chats that waited longer than this one's are still beyond the `turns` that may send
   * now (0: this one may). The turns are a courtesy: when Redis cannot say, it may send.
   */
  async function turnsAhead(turns: number): Promise<number> {
    if (!Number.isFinite(turns)) return 0;
    const rank = await ctx.progressTurns.rank(envelope.replyTo.platform, envelope.id, step.shownAt ?? step.startedAt).catch(() => 0);
    return Math.max(0, rank - turns + 1);
  }

  async function forgetProgressTurn(): Promise<void> {
    await ctx.progressTurns.forget(envelope.replyTo.platform, envelope.id).catch(() => undefined);
  }

  /** Shows a progress figure unless the platform is busy (droppable); the time it was shown, if it was. */
  async function showProgress(text: string): Promise<number | undefined> {
    status.set(text, { droppable: true });
    await status.flush();
    return status.showing === text ? Date.now() : undefined;
  }

  function nextPollMs(etaMs: number | undefined): number {
    return nextRenderPollMs(ctx.config.RENDER_POLL_MS, etaMs);
  }

  /**
   * Starts the render under this item's id. The id is this item's and attempt's alone, so a refusal
   * of the start (the backend's 409 "id already used") can mean the render exists already: another
   * process ran this step at the same moment (a worker whose job lock lapsed under load or during a
   * Redis restart keeps running while another takes the job over), or a start whose answer was lost.
   * That render is ours: it is polled and delivered, not reported as a failure.
   */
  async function startOrAdopt(auth: SessionContext["auth"], renderId: string): Promise<RenderStatus> {
    try {
      return await ctx.nemo.startRender(auth, { id: renderId, sessionId: data.sessionId, draft: data.draft });
    } catch (error) {
      if (!(isNemoError(error) && error.code === "bad_request")) throw error;
      const existing = await ctx.nemo.renderStatus(auth, renderId).catch(() => undefined);
      if (existing === undefined) throw error;
      ctx.logger.info({ item: envelope.id, renderId }, "render start refused, but the render exists under this item's id: polling it");
      return existing;
    }
  }

  async function deliver(output: FinishedRender, session: SessionContext): Promise<RenderOutcome> {
    const outcome = await deliverRender(ctx, envelope, session, output, step.delivery ?? {}, signal, stillOurs);
    if (outcome.kind === "retry") return { done: false, delayMs: outcome.delayMs, step: { ...step, delivery: outcome.state } };
    if (outcome.how === "already") {
      const marker = await ctx.markers.get("delivered", envelope.id);
      return finish(marker === "link" || marker === "no-link" ? marker : "video");
    }
    return finish(outcome.how);
  }
}

function finishedRender(render: RenderStatus): FinishedRender {
  return {
    id: render.id,
    ...(render.outputUrl === undefined ? {} : { outputUrl: render.outputUrl }),
    ...(render.size === undefined ? {} : { size: render.size }),
    ...(render.duration === undefined ? {} : { duration: render.duration }),
  };
}

/** The platform's message rate for the whole bot (what progress turns share), unlimited for the terminal chat. */
function messagesPerSecondOf(ctx: JobContext, platform: string): number {
  if (platform === "telegram") return ctx.config.TELEGRAM_MESSAGES_PER_SECOND;
  if (platform === "discord") return ctx.config.DISCORD_REQUESTS_PER_SECOND;
  return Number.POSITIVE_INFINITY;
}

/**
 * The next poll: at the time the backend's rate says the render will be done, when that comes
 * before the poll interval. With polls 30 s apart, a render finishing just after one would
 * otherwise wait up to 30 s for its video. Never sooner than a quarter of the interval (and a
 * second), so a render stuck at 99 % is polled at most four times as often, not in a loop.
 */
export function nextRenderPollMs(intervalMs: number, etaMs: number | undefined): number {
  if (etaMs === undefined) return intervalMs;
  return Math.min(intervalMs, Math.max(1_000, intervalMs / 4, Math.ceil(etaMs) + 250));
}
