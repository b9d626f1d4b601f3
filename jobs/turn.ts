import type { SessionContext } from "../src/accounts/types.js";
import { translateBackendText } from "../src/chat/gui-translation.js";
import { NemoError, isNemoError } from "../src/errors.js";
import { messages, type Messages } from "../src/i18n/index.js";
import { describeDraftChanges } from "../src/present/draft-changes.js";
import { isRedisUnavailable } from "../src/redis/unavailable.js";
import type { OpenTurn, SessionState } from "../src/nemo/types.js";
import { emit, quickButtons, type ItemRun, type ItemStep, type JobContext, type StepOutcome } from "./context.js";
import { fingerprintOf, parseSentRecord, type SentRecord } from "./fingerprint.js";
import { JobLockLostError } from "./job-control.js";
import { beginRecovery, continueRecovery } from "./recovery.js";
import { failureText, noteReplacedSession, postTimeline } from "./replies.js";
import { StatusMessage } from "./status-message.js";
import { NOT_TAKEN_CODES, parseTurnOutcome, recoveryReason, refusalError, type StreamOutcome, type TurnOutcome } from "./turn-outcome.js";

/**
 * One user message through `/run_sse`. The message goes out at most once: the `sent` marker (with
 * the session as it was before) is written before the request, and a turn that finds it set reads
 * the state instead of sending again (recovery.ts).
 *
 * The stream outlives the job slot: once `/run_sse` answered with its stream, this process's stream
 * hub (stream-hub.ts) reads it and the drainer job parks (`phase: "streaming"`), holding no slot
 * and no lock, until the hub writes what the stream came to (`outcome`) and promotes it; it then
 * answers from that here. A job that resumes and finds no outcome lost its stream (its worker died,
 * or the promote was lost and its delay ran out): the message went, so the state tells (recovery).
 */

/** A parked stream's job resumes after the turn's hard limit and this margin even if never promoted. */
const STREAMING_MARGIN_MS = 60_000;

interface TurnResult extends StreamOutcome {
  /** The draft before the message went (from the `sent` marker). */
  beforeDraft: unknown;
  who: SessionContext;
}

class AlreadySent extends Error {}

export async function runTurn(ctx: JobContext, run: ItemRun): Promise<StepOutcome> {
  const { envelope } = run;
  if (envelope.item.kind !== "turn") throw new Error("runTurn needs a turn");
  const hub = ctx.hub;
  if (!hub || run.jobId === undefined) throw new Error("a turn needs its worker's stream hub and its drainer job");
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  let step: ItemStep = { ...run.step, startedAt: run.step.startedAt ?? Date.now() };
  const save = async (next: ItemStep) => {
    step = next;
    await run.save(step);
  };
  const current: ItemRun = { ...run, get step() { return step; } };

  let refusal: NemoError | undefined;
  let outcome: TurnOutcome | undefined;
  if (step.phase === "streaming") {
    outcome = parseTurnOutcome(await ctx.markers.take("outcome", envelope.id));
    if (outcome !== undefined) await hub.woke(run.jobId);
    // While the job was parked, a status message the hub had to post anew was recorded here only.
    const recorded = await ctx.markers.statusOf(envelope.id);
    if (recorded) step = { ...step, statusRef: recorded };
    // Woken while this process still reads its stream (its delay ran out first): park again.
    if (outcome === undefined && hub.has(envelope.id)) return { done: false, delayMs: streamingDelay(ctx), step };
  }
  const status = new StatusMessage(outbox, envelope.replyTo, step.statusRef, ctx.pacing, ctx.logger, (ref) =>
    save({ ...step, statusRef: ref }),
  );

  if (step.phase === "recovering") return continueRecovery(ctx, current, status);
  if (outcome?.kind === "unknown") return beginRecovery(ctx, current, status, outcome.reason);
  if (outcome?.kind === "ended") return answerStream(ctx, current, outcome, status, m);
  // Refused before any event (the hub cleared `sent`): the contract lets it go again, as below.
  if (outcome?.kind === "refused") refusal = refusalError(outcome);
  else if ((await ctx.markers.get("sent", envelope.id)) !== null) return beginRecovery(ctx, current, status, "dropped");

  // Not awaited: under a burst the bot's send queue can hold "Thinking…" for a minute (Telegram: 30
  // messages a second for the whole bot), and the user's message need not wait for it to reach the
  // agent. A status that said "Queued" (or a resumed one) becomes "Thinking…" the same way: this is
  // the one StatusMessage of the turn, so its later words cannot be overtaken by this first edit.
  status.set(m.thinking);
  const retried429 = step.phase === "retry-after-429" || step.retried429 === true;
  let who: SessionContext | undefined;
  let stream: OpenTurn;
  try {
    stream = await ctx.accounts.withSession(envelope.session, async (session) => {
      who = session;
      if (refusal) {
        // The refusal the stream ended with, as if the request had just answered it: a token or a
        // session is renewed (and the message goes again) exactly as then.
        const error = refusal;
        refusal = undefined;
        throw error;
      }
      await noteReplacedSession(ctx, envelope, session);
      return sendOnce(ctx, run, session);
    });
  } catch (error) {
    if (error instanceof AlreadySent) return beginRecovery(ctx, current, status, "dropped");
    // The message went out and the answer did not prove it was refused (a drop, a 5xx, a timeout, a
    // shutdown): it may have been applied, so the state tells what happened.
    if ((await ctx.markers.get("sent", envelope.id)) !== null) return beginRecovery(ctx, current, status, recoveryReason(error, run.signal.aborted));
    // Not sent, and Redis unreachable (a restart): no answer about the message, which goes later.
    if (isRedisUnavailable(error)) throw error;
    if (isNemoError(error, "rate_limited") && !retried429) {
      // Not accepted, so not sent: the contract's one retry after 429, as a delayed step.
      await status.show(m.turnBusyRetrying);
      return { done: false, delayMs: ctx.config.RETRY_AFTER_429_MS, step: { ...step, phase: "retry-after-429" } };
    }
    ctx.logger.info({ err: error, item: envelope.id }, "turn failed");
    await outbox.sendText(envelope.replyTo, failureText(error, envelope.locale, ctx.config, who, ctx.events));
    await status.show(m.turnStopped);
    emit(ctx.events, "onTurnDone", Date.now() - (step.startedAt ?? Date.now()), "error");
    return { done: true };
  }

  // The stream is open: the hub reads it, and this job parks until the hub promotes it.
  await hub.adopt({ itemId: envelope.id, jobId: run.jobId, stream, status, m });
  return {
    done: false,
    delayMs: streamingDelay(ctx),
    step: { ...step, statusRef: status.ref ?? step.statusRef, phase: "streaming", hub: hub.id, ...(retried429 ? { retried429: true } : {}) },
  };
}

function streamingDelay(ctx: JobContext): number {
  return ctx.config.TURN_TIMEOUT_MS + STREAMING_MARGIN_MS;
}

/** The stream ended: the answer, from what it said (and the state where it must). */
async function answerStream(ctx: JobContext, run: ItemRun, outcome: StreamOutcome, status: StatusMessage, m: Messages): Promise<StepOutcome> {
  const { envelope } = run;
  const outbox = ctx.outbox(envelope.replyTo.platform);
  const record = parseSentRecord(await ctx.markers.get("sent", envelope.id));
  let who: SessionContext;
  try {
    // The session the message went to, with the chat's token now; reading it creates nothing.
    who = await ctx.accounts.withExistingSession(envelope.session, async (session) => session, record?.sessionId);
  } catch (error) {
    if (isRedisUnavailable(error)) throw error;
    ctx.logger.warn({ err: error, item: envelope.id }, "the turn's session unreadable after its stream");
    return beginRecovery(ctx, run, status, "error");
  }
  const result: TurnResult = { ...outcome, beforeDraft: record?.draft, who };
  // The lock lapsed while answering (Redis unreachable for longer than it): a second run of this
  // item answers from the state. One answer is enough.
  if (!(await run.stillOurs())) throw new JobLockLostError(envelope.id);
  const failed = result.failure !== undefined || (result.cutShort !== undefined && result.texts.length === 0);
  if (failed && result.touchedProject) return answerFromState(ctx, run, result, status, m);
  if (failed) {
    ctx.logger.info({ item: envelope.id, code: result.failure?.code ?? result.cutShort }, "turn failed");
    await outbox.sendText(envelope.replyTo, failureText(new NemoError("turn_failed", "the turn reported an error"), envelope.locale, ctx.config, result.who, ctx.events));
    await status.show(m.turnStopped);
    emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? Date.now()), "error");
    return { done: true };
  }
  await deliverTurn(ctx, run, result, status, m);
  emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? Date.now()), result.texts.length > 0 ? "text" : "silent");
  return { done: true };
}

/**
 * The agent failed (or stopped early with nothing to say) after its tools had started: the edit may
 * be in the project, so the answer is what the state shows, never words that invite sending it again
 * (that would apply it twice and charge twice). A state that cannot be read goes to recovery.
 */
async function answerFromState(ctx: JobContext, run: ItemRun, result: TurnResult, status: StatusMessage, m: Messages): Promise<StepOutcome> {
  const { envelope } = run;
  ctx.logger.info({ item: envelope.id, code: result.failure?.code ?? result.cutShort }, "turn failed after its tools ran: answering from the state");
  const after = await readState(ctx, result.who, envelope.id);
  if (after === undefined) return beginRecovery(ctx, run, status, "error");
  const changes = describeDraftChanges(result.beforeDraft, after.draft, envelope.locale);
  const buttons = quickButtons(envelope.locale);
  if (changes.length > 0) {
    await postTimeline(ctx, envelope, result.who.sessionId, after.draft, { caption: m.turnFailedButChanged({ changes }), buttons });
  } else {
    await ctx.outbox(envelope.replyTo.platform).sendText(envelope.replyTo, m.turnFailedUnchanged, { buttons });
  }
  await status.show(m.turnStopped);
  emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? envelope.receivedAt), changes.length > 0 ? "recovered" : "error");
  return { done: true };
}

async function readState(ctx: JobContext, who: SessionContext, item: string): Promise<SessionState | undefined> {
  try {
    return await ctx.nemo.state(who.auth, who.sessionId);
  } catch (error) {
    ctx.logger.warn({ err: error, item }, "state after the turn unreadable");
    return undefined;
  }
}

/** Why the model stopped, in the user's words. */
function cutShortWhy(m: Messages, reason: string): string {
  if (reason === "MAX_TOKENS") return m.cutShortLength;
  if (/SAFETY|BLOCKLIST|PROHIBITED|SPII|RECITATION/.test(reason)) return m.cutShortFiltered;
  return m.cutShortOther;
}

/** Reads the state, marks the message sent, opens its stream. Runs again only when the stream was not reached. */
async function sendOnce(ctx: JobContext, run: ItemRun, session: SessionContext): Promise<OpenTurn> {
  const { envelope } = run;
  const text = envelope.item.kind === "turn" ? envelope.item.text : "";
  let before: SessionState | undefined;
  try {
    before = await ctx.nemo.state(session.auth, session.sessionId);
  } catch (error) {
    if (isNemoError(error, "token_invalid") || isNemoError(error, "session_not_found")) throw error;
    ctx.logger.warn({ err: error, item: envelope.id }, "state before the turn unreadable");
  }
  const record: SentRecord = { draft: before?.draft ?? null, fingerprint: fingerprintOf(before), sentAt: Date.now(), sessionId: session.sessionId };
  if (!(await ctx.markers.setOnce("sent", envelope.id, JSON.stringify(record)))) throw new AlreadySent();
  try {
    return await ctx.nemo.openTurn(session.auth, session.sessionId, text, { signal: run.signal });
  } catch (error) {
    // Only an answer that proves the agent never got the message lets it go again.
    if (isNemoError(error) && NOT_TAKEN_CODES.has(error.code)) await ctx.markers.clear("sent", envelope.id);
    throw error;
  }
}

async function deliverTurn(ctx: JobContext, run: ItemRun, result: TurnResult, status: StatusMessage, m: Messages): Promise<void> {
  const { envelope } = run;
  const outbox = ctx.outbox(envelope.replyTo.platform);
  const buttons = quickButtons(envelope.locale);
  const { auth, sessionId } = result.who;
  let wantsExport = envelope.item.kind === "turn" && envelope.item.exportAfter === true;

  if (result.texts.length === 0) {
    // About 30% of edits end with no words: say what changed by comparing the state.
    const after = await ctx.nemo.state(auth, sessionId);
    const changes = describeDraftChanges(result.beforeDraft, after.draft, envelope.locale);
    // What changed, under a picture of the timeline as it now stands.
    if (changes.length > 0) await postTimeline(ctx, envelope, sessionId, after.draft, { caption: m.turnChanged({ changes }), buttons });
    else await outbox.sendText(envelope.replyTo, m.turnNoChange, { buttons });
  } else {
    const translated = translateBackendText(result.texts.join("\n\n"), envelope.locale);
    if (translated.text.trim() !== "") await outbox.sendText(envelope.replyTo, translated.text, result.cutShort === undefined ? { buttons } : undefined);
    if (translated.actions.includes("export")) wantsExport = true;
    if (result.cutShort !== undefined) {
      // The words stop mid-way but the tools ran: say so, and show the project as it now stands.
      const after = await ctx.nemo.state(auth, sessionId);
      const changes = describeDraftChanges(result.beforeDraft, after.draft, envelope.locale);
      const why = cutShortWhy(m, result.cutShort);
      const caption = changes.length > 0 ? m.turnCutShortChanged({ why, changes }) : m.turnCutShortUnchanged({ why });
      await postTimeline(ctx, envelope, sessionId, after.draft, { caption, buttons });
    } else if (translated.actions.some((a) => a === "show-state" || a === "show-timeline")) {
      // "open the panel" / "preview in the timeline": we show the track summary instead.
      const state = await ctx.nemo.state(auth, sessionId);
      await postTimeline(ctx, envelope, sessionId, state.draft);
    }
  }
  await status.show(m.turnDone);
  if (wantsExport) await ctx.followUpExport(envelope);
}
