import type { SessionContext } from "../src/accounts/types.js";
import { translateBackendText } from "../src/chat/gui-translation.js";
import { NemoError, isNemoError, type NemoErrorCode } from "../src/errors.js";
import { messages, type Messages } from "../src/i18n/index.js";
import { describeDraftChanges } from "../src/present/draft-changes.js";
import { isRedisUnavailable } from "../src/redis/unavailable.js";
import type { SessionState, TurnEvent } from "../src/nemo/types.js";
import { emit, quickButtons, type ItemRun, type ItemStep, type JobContext, type StepOutcome } from "./context.js";
import { fingerprintOf, type SentRecord } from "./fingerprint.js";
import { JobLockLostError } from "./job-control.js";
import { beginRecovery, continueRecovery, type RecoveryReason } from "./recovery.js";
import { failureText, noteReplacedSession, postTimeline } from "./replies.js";
import { StatusMessage } from "./status-message.js";

/**
 * One user message through `/run_sse`. The message goes out at most once: the `sent` marker (with
 * the session as it was before) is written before the request, and a turn that finds it set reads
 * the state instead of sending again (recovery.ts).
 */

/**
 * Failures before the first event that prove the backend did not take the message: the contract's
 * envelope codes (1001, 1002 or its 404 "Session not found", 2001) and the statuses that refuse a
 * request before any work (400 for a missing client id, 401, 402, 429). Only these clear the `sent`
 * marker. Anything else (a 5xx, a gateway's page, an HTML 200, a reset, a headers timeout) may hide
 * an applied edit: the turn is recovered by reading the state, never sent again.
 */
const NOT_TAKEN_CODES: ReadonlySet<NemoErrorCode> = new Set([
  "token_invalid",
  "session_not_found",
  "no_credits",
  "missing_client_id",
  "plan_blocked",
  "rate_limited",
]);

/** The stream ended on "I encountered a temporary issue" after a turn that had gone well. */
const TRAILING_HICCUP = /encountered a temporary issue|遇到了临时问题/i;

/** What one stream said, read to its end. */
interface StreamOutcome {
  texts: string[];
  /** A functionCall or functionResponse came: from then on the edit may be in the project whatever happens. */
  touchedProject: boolean;
  /** The model stopped early (ADK's finish reason, e.g. MAX_TOKENS): the texts came whole, the tools ran. */
  cutShort?: string;
  /** The agent reported an error (not a trailing hiccup after a turn that went well). */
  failure?: { code?: string };
}

interface TurnResult extends StreamOutcome {
  before: SessionState | undefined;
  who: SessionContext;
}

class AlreadySent extends Error {}

export async function runTurn(ctx: JobContext, run: ItemRun): Promise<StepOutcome> {
  const { envelope } = run;
  if (envelope.item.kind !== "turn") throw new Error("runTurn needs a turn");
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  let step: ItemStep = { ...run.step, startedAt: run.step.startedAt ?? Date.now() };
  const save = async (next: ItemStep) => {
    step = next;
    await run.save(step);
  };
  const status = new StatusMessage(outbox, envelope.replyTo, step.statusRef, ctx.pacing, ctx.logger, (ref) =>
    save({ ...step, statusRef: ref }),
  );
  const current: ItemRun = { ...run, get step() { return step; } };

  if (step.phase === "recovering") return continueRecovery(ctx, current, status);
  if ((await ctx.markers.get("sent", envelope.id)) !== null) return beginRecovery(ctx, current, status, "dropped");

  // Not awaited: under a burst the bot's send queue can hold "Thinking…" for a minute (Telegram: 30
  // messages a second for the whole bot), and the user's message need not wait for it to reach the
  // agent. A status that said "Queued" (or a resumed one) becomes "Thinking…" the same way: this is
  // the one StatusMessage of the turn, so its later words cannot be overtaken by this first edit.
  status.set(m.thinking);
  let who: SessionContext | undefined;
  let result: TurnResult;
  try {
    result = await ctx.accounts.withSession(envelope.session, async (session) => {
      who = session;
      await noteReplacedSession(ctx, envelope, session);
      return sendOnce(ctx, run, session, status, m, step.startedAt ?? Date.now());
    });
  } catch (error) {
    if (error instanceof AlreadySent) return beginRecovery(ctx, current, status, "dropped");
    // The message went out and the answer did not prove it was refused (a drop, a 5xx, a timeout, a
    // shutdown): it may have been applied, so the state tells what happened.
    if ((await ctx.markers.get("sent", envelope.id)) !== null) return beginRecovery(ctx, current, status, recoveryReason(error, run.signal));
    // Not sent, and Redis unreachable (a restart): no answer about the message, which goes later.
    if (isRedisUnavailable(error)) throw error;
    if (isNemoError(error, "rate_limited") && step.phase !== "retry-after-429") {
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

  // The lock lapsed while the stream ran (Redis unreachable for longer than it): a second run of this
  // item has found the `sent` marker and answers from the state. One answer is enough.
  if (!(await run.stillOurs())) throw new JobLockLostError(envelope.id);
  const failed = result.failure !== undefined || (result.cutShort !== undefined && result.texts.length === 0);
  if (failed && result.touchedProject) return answerFromState(ctx, current, result, status, m);
  if (failed) {
    ctx.logger.info({ item: envelope.id, code: result.failure?.code ?? result.cutShort }, "turn failed");
    await outbox.sendText(envelope.replyTo, failureText(new NemoError("turn_failed", "the turn reported an error"), envelope.locale, ctx.config, result.who, ctx.events));
    await status.show(m.turnStopped);
    emit(ctx.events, "onTurnDone", Date.now() - (step.startedAt ?? Date.now()), "error");
    return { done: true };
  }
  await deliverTurn(ctx, run, result, status, m);
  emit(ctx.events, "onTurnDone", Date.now() - (step.startedAt ?? Date.now()), result.texts.length > 0 ? "text" : "silent");
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
  const changes = describeDraftChanges(result.before?.draft, after.draft, envelope.locale);
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

/** What the user is told while the state is read: the stream broke off, the service failed, or time ran out. */
function recoveryReason(error: unknown, signal: AbortSignal): RecoveryReason {
  if (isNemoError(error, "turn_timeout") || isNemoError(error, "timeout")) return "timeout";
  if (isNemoError(error, "network") || signal.aborted) return "dropped";
  return "error";
}

/** Why the model stopped, in the user's words. */
function cutShortWhy(m: Messages, reason: string): string {
  if (reason === "MAX_TOKENS") return m.cutShortLength;
  if (/SAFETY|BLOCKLIST|PROHIBITED|SPII|RECITATION/.test(reason)) return m.cutShortFiltered;
  return m.cutShortOther;
}

/** Reads the state, marks the message sent, streams it. Runs again only when the stream was not reached. */
async function sendOnce(
  ctx: JobContext,
  run: ItemRun,
  session: SessionContext,
  status: StatusMessage,
  m: Messages,
  startedAt: number,
): Promise<TurnResult> {
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

  let seen = 0;
  try {
    const outcome = await consume(ctx, session, text, run.signal, status, m, startedAt, () => seen++);
    return { ...outcome, before, who: session };
  } catch (error) {
    // Only an answer that proves the agent never got the message lets it go again.
    if (seen === 0 && isNemoError(error) && NOT_TAKEN_CODES.has(error.code)) {
      await ctx.markers.clear("sent", envelope.id);
    }
    throw error;
  }
}

function toolLine(m: Messages, name: string): string {
  if (/generate|seedance|video_gen/i.test(name)) return m.toolGenerating;
  if (/edit|multitrack|timeline|trim|cut/i.test(name)) return m.toolEditing;
  return m.toolWorking;
}

async function consume(
  ctx: JobContext,
  session: SessionContext,
  text: string,
  signal: AbortSignal,
  status: StatusMessage,
  m: Messages,
  startedAt: number,
  onEvent: () => void,
): Promise<StreamOutcome> {
  const texts: string[] = [];
  let partial = "";
  let touchedProject = false;
  let cutShort: string | undefined;
  let progress = m.thinking;
  let still: string | undefined;
  const errors: Extract<TurnEvent, { type: "error" }>[] = [];
  const show = () => status.set(still ? `${progress}\n${still}` : progress);
  const every = ctx.config.STILL_WORKING_MS;
  const timer =
    every > 0
      ? setInterval(() => {
          still = m.stillWorking({ minutes: Math.max(1, Math.round((Date.now() - startedAt) / 60_000)) });
          show();
        }, every)
      : undefined;
  try {
    for await (const event of ctx.nemo.streamTurn(session.auth, session.sessionId, text, { signal })) {
      onEvent();
      switch (event.type) {
        case "text":
          // Partial events are pieces of the message the final event repeats in full.
          if (event.partial) partial += event.text;
          else {
            texts.push(event.text);
            partial = "";
          }
          break;
        case "tool-call":
          touchedProject = true;
          progress = toolLine(m, event.name);
          show();
          break;
        case "tool-result":
          touchedProject = true;
          break;
        case "cut-short":
          cutShort = event.reason;
          break;
        case "error":
          errors.push(event);
          break;
        default:
          break;
      }
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  if (partial.trim() !== "") texts.push(partial);
  const kept = texts.filter((t) => t.trim() !== "");
  // A trailing "temporary issue" after a turn that went well is noise, as text or as an error.
  if (kept.length > 1 && TRAILING_HICCUP.test(kept[kept.length - 1] ?? "")) kept.pop();
  const real = errors.filter((e) => !(kept.length > 0 && TRAILING_HICCUP.test(e.message)));
  const [failure] = real;
  return {
    texts: kept,
    touchedProject,
    ...(cutShort === undefined ? {} : { cutShort }),
    ...(failure === undefined ? {} : { failure: failure.code === undefined ? {} : { code: failure.code } }),
  };
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
    const changes = describeDraftChanges(result.before?.draft, after.draft, envelope.locale);
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
      const changes = describeDraftChanges(result.before?.draft, after.draft, envelope.locale);
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
