import { BotError, GrammyError } from "grammy";
import { codeOf, nameOf, textOf } from "../../src/error-shape.js";
import { scrubSecrets } from "../../src/log.js";

/**
 * A loggable summary of an error. Never the error object itself: a BotError carries the whole
 * update (a `/token` message holds a token) and a GrammyError the payload that was sent.
 *
 * Any value is accepted and none makes it throw: a server or proxy may answer an error with no
 * `description` (HTTP 500 `{"message": …}`), and grammY then makes a GrammyError without one.
 */
export function describeError(error: unknown): ErrorSummary {
  try {
    return summarize(error);
  } catch {
    // Even `instanceof` can throw (a revoked Proxy): the log line still gets written.
    return { name: "unknown", message: "(an error that could not be read)" };
  }
}

export interface ErrorSummary {
  name: string;
  message: string;
  code?: number | string;
  method?: string;
}

function summarize(error: unknown): ErrorSummary {
  const inner = error instanceof BotError ? (error.error as unknown) : error;
  if (inner instanceof GrammyError) {
    const description = typeof inner.description === "string" && inner.description !== "" ? inner.description : undefined;
    const code = typeof inner.error_code === "number" ? inner.error_code : undefined;
    return {
      name: "GrammyError",
      message: scrubSecrets(description ?? `the Bot API refused ${String(inner.method)} without a description`),
      ...(code === undefined ? {} : { code }),
      method: String(inner.method),
    };
  }
  const code = codeOf(inner);
  return { name: nameOf(inner), message: scrubSecrets(textOf(inner)), ...(code === undefined ? {} : { code }) };
}
