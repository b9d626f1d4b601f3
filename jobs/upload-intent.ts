import type { SessionContext } from "../src/accounts/types.js";
import { isNemoError, type NemoErrorCode } from "../src/errors.js";
import { readUploadedFile } from "../src/nemo/answers.js";
import { UploadSourceError } from "../src/nemo/multipart.js";
import type { SessionState, UploadResult } from "../src/nemo/types.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { JobContext } from "./context.js";

/**
 * An upload's answer can be lost after the backend took the file: the worker was killed (or lost
 * its lock) between the backend's accept and the `upload` marker, or the answer was a 5xx, a reset
 * or a timeout. The contract has no idempotency key for uploads, so sending the file again would
 * put the clip into the project twice.
 *
 * So before a file goes, its intent is recorded (`uploading`): the session it goes to and how many
 * of that session's `video_infos` carry its name then (one state read). An upload that finds its
 * intent (a re-run after a kill), or whose answer was lost, reads the state again: more files of
 * that name than before means the file landed, and it is not sent again. The session's items run
 * one at a time, so nothing of ours adds a file of that name in between.
 *
 * What cannot be known: a backend still taking the file in when we look (it answers nothing until
 * it is done) is not seen, and the file goes again; a backend that lists the file under another
 * name than the one it was sent with is not recognised either. A failed state read before the
 * upload leaves no count to compare with: the upload then goes as before (at least once).
 */

interface UploadIntent {
  sessionId: string;
  /** Files of this name in the state before the upload; null when that read failed. */
  named: number | null;
}

/** Answers that prove the backend did not take the file (or never saw it). */
const REFUSED: ReadonlySet<NemoErrorCode> = new Set<NemoErrorCode>([
  "token_invalid",
  "session_not_found",
  "no_credits",
  "unsupported_file",
  "file_too_large",
  "missing_client_id",
  "plan_blocked",
  "rate_limited",
  "bad_request",
]);

/** True when a failed upload may still have put the file into the project (its answer was lost). */
export function mayHaveLanded(error: unknown): boolean {
  if (error instanceof UploadSourceError) return false; // the bytes never all left the chat platform
  return !(isNemoError(error) && REFUSED.has(error.code));
}

/** How a file name compares: the backend may drop a path and tidy odd characters. */
function nameKey(name: string): string {
  const base = name.replace(/\\/g, "/").split("/").pop() ?? name;
  return base.normalize("NFC").toLowerCase().replace(/[^\p{L}\p{N}.-]/gu, "_");
}

function filesNamed(state: SessionState, name: string): UploadResult["files"] {
  const key = nameKey(name);
  return state.videoInfos.map(readUploadedFile).filter((f): f is NonNullable<typeof f> => f !== undefined && nameKey(f.filename) === key);
}

/**
 * Records that `name` is about to go to `session`, with the count of its name in the state. A 1001
 * or 1002 is thrown (the upload would get the same, and `withSession` renews and calls again); any
 * other failed read leaves the count unknown.
 */
export async function recordIntent(ctx: JobContext, markerId: string, session: SessionContext, name: string): Promise<void> {
  let named: number | null = null;
  try {
    named = filesNamed(await ctx.nemo.state(session.auth, session.sessionId), name).length;
  } catch (error) {
    if (isNemoError(error, "token_invalid") || isNemoError(error, "session_not_found")) throw error;
    ctx.logger.info({ err: error, marker: markerId }, "state before an upload unreadable: a lost answer will not be told from a refusal");
  }
  const intent: UploadIntent = { sessionId: session.sessionId, named };
  await ctx.markers.set("uploading", markerId, JSON.stringify(intent));
}

/**
 * When an earlier try of this file may have reached the backend: the file as the state lists it if
 * it landed, else undefined (send it). Reads only the session the intent names, never creating one;
 * a read that fails is thrown (the item is retried: sending again could add the file twice).
 */
export async function landedEarlier(
  ctx: JobContext,
  envelope: WorkEnvelope,
  markerId: string,
  name: string,
): Promise<{ result: UploadResult; sessionId: string } | undefined> {
  const raw = await ctx.markers.get("uploading", markerId);
  if (raw === null) return undefined;
  const intent = JSON.parse(raw) as UploadIntent;
  if (intent.named === null) return undefined;
  let state: SessionState;
  try {
    state = await ctx.accounts.withExistingSession(envelope.session, (session) => ctx.nemo.state(session.auth, session.sessionId), intent.sessionId);
  } catch (error) {
    // That project is gone: the file is in no project of this chat; it goes to the current one.
    if (isNemoError(error, "session_not_found")) return undefined;
    throw error;
  }
  const files = filesNamed(state, name);
  if (files.length <= intent.named) return undefined;
  ctx.logger.info({ item: envelope.id, marker: markerId }, "an upload whose answer was lost had landed: not sent again");
  return { result: { files: files.slice(-1), sessionStateApplied: true }, sessionId: intent.sessionId };
}
