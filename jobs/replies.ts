import type { SessionContext } from "../src/accounts/types.js";
import type { Locale } from "../src/chat/message.js";
import { errorText } from "../src/chat/error-text.js";
import type { Config } from "../src/config.js";
import { isNemoError } from "../src/errors.js";
import { skillProfile } from "../src/nemo/skills.js";
import { messages } from "../src/i18n/index.js";
import type { Button, SentRef } from "../src/chat/outbox.js";
import { sendTimeline } from "../src/present/timeline-reply.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { emit, type JobContext, type JobEvents } from "./context.js";

/**
 * The backend had lost the user's project and a new one was started: say so before the item's
 * answer. An upload brings its files into the new project, so it never asks for them again.
 */
export async function noteReplacedSession(ctx: JobContext, envelope: WorkEnvelope, session: SessionContext): Promise<void> {
  if (!session.replacedLostSession) return;
  const m = messages(envelope.locale);
  await ctx.outbox(envelope.replyTo.platform).sendText(envelope.replyTo, envelope.item.kind === "upload" ? m.sessionReplacedWithFiles : m.sessionReplaced);
}

/** The session's timeline as a picture, `caption` (default: the track summary) under it. */
export async function postTimeline(
  ctx: JobContext,
  envelope: WorkEnvelope,
  sessionId: string,
  draft: unknown,
  options: { caption?: string; buttons?: Button[] } = {},
): Promise<SentRef> {
  return sendTimeline({
    outbox: ctx.outbox(envelope.replyTo.platform),
    to: envelope.replyTo,
    locale: envelope.locale,
    draft,
    ...options,
    ...(ctx.thumbnails ? { thumbnails: { store: ctx.thumbnails, sessionId } } : {}),
    logger: ctx.logger,
  });
}

/**
 * A failure in words for the user (src/chat/error-text.ts owns the words). `who` is the session the
 * failed call used, when known: it decides "register" versus "top up" for 2001.
 */
export function failureText(
  error: unknown,
  locale: Locale,
  config: Config,
  who: Pick<SessionContext, "tokenKind" | "bindId"> | undefined,
  events: JobEvents,
): string {
  if (isNemoError(error)) emit(events, "onBackendError", error.code);
  // The limits the user was told about: the configured skill's.
  const skill = skillProfile(config.SKILL_PROFILE);
  return errorText(error, locale, {
    tokenKind: who?.tokenKind ?? "anonymous",
    ...(who?.bindId === undefined ? {} : { bindId: who.bindId }),
    maxFileBytes: skill.maxFileBytes,
    acceptedFormats: skill.acceptedFormats,
    registerUrl: config.NEMO_REGISTER_URL,
  });
}
