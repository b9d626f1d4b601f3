/**
 * Lenient readers for the backend's answers. Many fields are inferred rather than documented, and
 * the backend has used both snake_case and camelCase: every reader takes a list of spellings and
 * ignores values of the wrong type instead of throwing.
 */

export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

/** The first of `keys` that is present (not undefined / null) on `record`. */
export function pick(record: JsonRecord | undefined, ...keys: string[]): unknown {
  if (!record) return undefined;
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** Strings as they are; finite numbers as text (ids sometimes come as numbers). */
export function asString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Finite numbers, or numeric text such as "42" or "42.5%". */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") {
    const n = Number.parseFloat(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === 1) return true;
  if (value === "false" || value === 0) return false;
  return undefined;
}

export function pickString(record: JsonRecord | undefined, ...keys: string[]): string | undefined {
  return asString(pick(record, ...keys));
}

export function pickNumber(record: JsonRecord | undefined, ...keys: string[]): number | undefined {
  return asNumber(pick(record, ...keys));
}

/** Cuts long backend text for error messages and logs. */
export function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
