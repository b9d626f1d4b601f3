import { BotError, GrammyError } from "grammy";
import { summarizeError, type ErrorSummary } from "../../src/error-shape.js";
import { scrubSecrets } from "../../src/log.js";

export type { ErrorSummary };

/**
 * A loggable summary of an error. Never the error object itself: a BotError carries the whole
 * update (a `/token` message holds a token) and a GrammyError the payload that was sent.
 *
 * Any value is accepted and none makes it throw: a server or proxy may answer an error with no
 * `description` (HTTP 500 `{"message": …}`), and grammY then makes a GrammyError without one.
 */
export function describeError(error: unknown): ErrorSummary {
  return summarizeError(error, readGrammyError, scrubSecrets);
}

function readGrammyError(error: unknown): ErrorSummary | undefined {
  // A BotError is described by what it wraps, never by the update it carries.
  if (error instanceof BotError) return summarizeError(error.error, readGrammyError, (text) => text);
  if (!(error instanceof GrammyError)) return undefined;
  const description = typeof error.description === "string" && error.description !== "" ? error.description : undefined;
  const code = typeof error.error_code === "number" ? error.error_code : undefined;
  return {
    name: "GrammyError",
    message: description ?? `the Bot API refused ${String(error.method)} without a description`,
    ...(code === undefined ? {} : { code }),
    method: String(error.method),
  };
}
