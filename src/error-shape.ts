/**
 * Reading any thrown value without trusting its shape. Libraries and the servers behind them throw
 * more than tidy Errors: a Bot API error with no `description` (a proxy's HTTP 500
 * `{"message": …}`), a plain object, a string, `undefined`, an object whose `toString` throws.
 * These helpers never throw, so describing a failure can never become a failure of its own.
 */

/** Fields that hold an error's words, in the order they are trusted. */
const TEXT_FIELDS = ["description", "message", "detail", "error", "statusText"] as const;

/** The most telling words of any value; never throws, never empty. */
export function textOf(value: unknown): string {
  try {
    if (typeof value === "string") return value === "" ? "(empty message)" : value;
    if (value === null || value === undefined) return `(${String(value)})`;
    if (typeof value !== "object" && typeof value !== "function") return String(value);
    const field = textField(value);
    if (field !== undefined) return field;
    if (value instanceof Error) return value.name || "Error";
    const json = JSON.stringify(value);
    if (typeof json === "string" && json !== "{}") return json.length > 500 ? `${json.slice(0, 500)}…` : json;
    return Object.prototype.toString.call(value);
  } catch {
    return "(an error that could not be read)";
  }
}

/** The first non-empty string among the usual text fields of an error-shaped object. */
export function textField(value: unknown, fields: readonly string[] = TEXT_FIELDS): string | undefined {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  for (const name of fields) {
    try {
      const field = (value as Record<string, unknown>)[name];
      if (typeof field === "string" && field.trim() !== "") return field;
    } catch {
      // A getter that throws: try the next field.
    }
  }
  return undefined;
}

/** A value's `code` (or `error_code`), when it is a string or a number. */
export function codeOf(value: unknown): string | number | undefined {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  for (const name of ["code", "error_code"]) {
    try {
      const code = (value as Record<string, unknown>)[name];
      if (typeof code === "string" || typeof code === "number") return code;
    } catch {
      // A getter that throws: no code.
    }
  }
  return undefined;
}

/** A value's name for a log line: the error class's, or its type. */
export function nameOf(value: unknown): string {
  try {
    if (value instanceof Error) return value.name || "Error";
    if (value === null) return "null";
    return typeof value;
  } catch {
    return "unknown";
  }
}

/** A log-safe summary of a failure: never the error object, which may carry a request with a token. */
export interface ErrorSummary {
  name: string;
  message: string;
  code?: number | string;
  status?: number;
  method?: string;
}

/**
 * Summarizes any thrown value and never throws. `readLibraryError` reads a platform library's own
 * error types (undefined for anything else); every text goes through `scrub`.
 */
export function summarizeError(
  error: unknown,
  readLibraryError: (error: unknown) => ErrorSummary | undefined,
  scrub: (text: string) => string,
): ErrorSummary {
  try {
    const known = readLibraryError(error);
    if (known !== undefined) return { ...known, message: scrub(known.message) };
    const code = codeOf(error);
    const name = nameOf(error);
    return { name, message: scrub(textOf(error)), ...(code === undefined ? {} : { code }) };
  } catch {
    // Even `instanceof` can throw (a revoked Proxy): the log line still gets written.
    return { name: "unknown", message: "(an error that could not be read)" };
  }
}
