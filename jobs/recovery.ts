import { isNemoError } from "../src/errors.js";
import { messages } from "../src/i18n/index.js";
import { describeDraftChanges } from "../src/present/draft-changes.js";
import type { SessionState } from "../src/nemo/types.js";
import { emit, quickButtons, type ItemRun, type JobContext, type StepOutcome } from "./context.js";
import { fingerprintOf, parseSentRecord } from "./fingerprint.js";
import type { StatusMessage } from "./status-message.js";

/**
 * A turn whose message already went to `/run_sse` but whose outcome we did not see (the worker was
 * killed mid-stream, its lock was lost, the connection dropped, the service answered a 5xx, the turn
 * timed out). The contract forbids sending it
 * again: wait, read the state, then read it again every RECOVERY_POLL_MS, and give up after
 * RECOVERY_MAX_UNCHANGED reads that show nothing new. Each wait is a delayed step of the job, so no
 * worker slot is held and a restart picks it up where it was.
 *
 * A change counts as found once two reads in a row agree (so we do not report half an edit that
 * is still being applied); reads equal to the "before" state count towards giving up.
 */

/** Reads past this many end the recovery whatever they show (a session that never settles). */
const MAX_READS_FACTOR = 4;

/** Why the outcome is unknown: the stream broke off, the service answered an error, or time ran out. */
export type RecoveryReason = "dropped" | "error" | "timeout";

export async function beginRecovery(ctx: JobContext, run: ItemRun, status: StatusMessage, reason: RecoveryReason): Promise<StepOutcome> {
  const m = messages(run.envelope.locale);
  const checking = { dropped: m.recoveryChecking, error: m.recoveryCheckingAfterError, timeout: m.recoveryCheckingAfterTimeout }[reason];
  await status.show(checking);
  ctx.logger.info({ item: run.envelope.id, reason }, "turn outcome unknown: reading the state instead of sending again");
  return {
    done: false,
    delayMs: ctx.config.RECOVERY_FIRST_WAIT_MS,
    step: { ...run.step, statusRef: status.ref ?? run.step.statusRef, phase: "recovering", reads: 0, unchanged: 0 },
  };
}

export async function continueRecovery(ctx: JobContext, run: ItemRun, status: StatusMessage): Promise<StepOutcome> {
  const { envelope } = run;
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  const record = parseSentRecord(await ctx.markers.get("sent", envelope.id));

  let state: SessionState | undefined;
  try {
    // The session the message went to, with the token the chat has now; a read never creates one.
    state = await ctx.accounts.withExistingSession(envelope.session, (session) => ctx.nemo.state(session.auth, session.sessionId), record?.sessionId);
  } catch (error) {
    if (isNemoError(error, "session_not_found")) {
      // The project is gone: nothing left to read, and waiting longer would not bring it back.
      ctx.logger.info({ item: envelope.id }, "the session the message went to is gone: recovery ends");
      await outbox.sendText(envelope.replyTo, m.errSessionLost);
      await status.show(m.turnStopped);
      emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? envelope.receivedAt), "error");
      return { done: true };
    }
    // A failed read is a read that showed nothing new.
    ctx.logger.warn({ err: error, item: envelope.id }, "state read failed during recovery");
  }
  const reads = (run.step.reads ?? 0) + 1;
  const print = state === undefined ? undefined : fingerprintOf(state);
  const changed = print !== undefined && record !== undefined && print !== record.fingerprint && record.fingerprint !== "unknown";
  const settled = changed && print === run.step.lastFingerprint;
  const unchanged = changed ? 0 : (run.step.unchanged ?? 0) + 1;
  const max = ctx.config.RECOVERY_MAX_UNCHANGED;

  if (settled || unchanged >= max || reads >= max * MAX_READS_FACTOR) {
    if (changed && state !== undefined) {
      const words = describeDraftChanges(record?.draft, state.draft, envelope.locale);
      const changes = words.length > 0 ? words : [m.changeGeneric];
      await outbox.sendText(envelope.replyTo, m.recoveryFound({ changes }), { buttons: quickButtons(envelope.locale) });
      await status.show(m.turnDone);
      if (envelope.item.kind === "turn" && envelope.item.exportAfter) await ctx.followUpExport(envelope);
      emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? envelope.receivedAt), "recovered");
    } else {
      await outbox.sendText(envelope.replyTo, m.recoveryUnconfirmed);
      await status.show(m.turnStopped);
      emit(ctx.events, "onTurnDone", Date.now() - (run.step.startedAt ?? envelope.receivedAt), "error");
    }
    return { done: true };
  }
  return {
    done: false,
    delayMs: ctx.config.RECOVERY_POLL_MS,
    step: { ...run.step, phase: "recovering", reads, unchanged, ...(print === undefined ? {} : { lastFingerprint: print }) },
  };
}
