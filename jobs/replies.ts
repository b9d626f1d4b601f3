import type { SessionContext } from "../src/accounts/types.js";
import type { Locale } from "../src/chat/message.js";
import { errorText } from "../src/chat/error-text.js";
import type { Config } from "../src/config.js";
import { isNemoError } from "../src/errors.js";
import { emit, type JobEvents } from "./context.js";

/** The contract's accepted files and the larger of the skills' size limits. */
export const DEFAULT_UPLOAD_LIMITS = {
  acceptedFormats: ["mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"],
  maxFileBytes: 500 * 1024 * 1024,
};

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
  return errorText(error, locale, {
    tokenKind: who?.tokenKind ?? "anonymous",
    ...(who?.bindId === undefined ? {} : { bindId: who.bindId }),
    maxFileBytes: DEFAULT_UPLOAD_LIMITS.maxFileBytes,
    acceptedFormats: DEFAULT_UPLOAD_LIMITS.acceptedFormats,
    registerUrl: config.NEMO_REGISTER_URL,
  });
}
