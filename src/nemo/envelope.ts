import { NemoError, type NemoErrorCode } from "../errors.js";
import { asBoolean, asNumber, asRecord, asString, clip, pick, pickString, type JsonRecord } from "./lenient.js";

/**
 * The backend wraps answers three ways: `{code,message,data}` (most calls), `{success,data}` (render
 * calls) or not at all. The HTTP status is checked before this (see error-map.ts); here the envelope
 * is unwrapped and an error code in it becomes a NemoError.
 */

const CODE_TABLE: Record<number, NemoErrorCode> = {
  1001: "token_invalid",
  1002: "session_not_found",
  2001: "no_credits",
  4001: "unsupported_file",
  4002: "file_too_large",
};

/** The contract's error code for a numeric envelope code; undefined for 0 and codes we do not know. */
export function knownBackendCode(code: number): NemoErrorCode | undefined {
  return CODE_TABLE[code];
}

/** Returns the payload of an answer, or throws the NemoError its envelope reports. */
export function unwrapEnvelope(body: unknown, where: string, status?: number): unknown {
  const record = asRecord(body);
  if (!record) return body;
  const code = envelopeCode(record);
  if (code !== undefined) {
    if (code !== 0) throw backendCodeError(code, record, where, status);
    return "data" in record ? record.data : record;
  }
  const success = asBoolean(record.success);
  if (success !== undefined && typeof record.success === "boolean") {
    if (!success) {
      throw new NemoError("unknown", `${where}: the backend answered success=false: ${envelopeMessage(record) ?? "no message"}`, {
        status,
      });
    }
    return "data" in record ? record.data : record;
  }
  return record;
}

/** The numeric `code` of a `{code,message,data}` envelope (a number or digits), else undefined. */
export function envelopeCode(record: JsonRecord): number | undefined {
  const raw = record.code;
  if (typeof raw === "number" && Number.isInteger(raw)) return raw;
  if (typeof raw === "string" && /^-?\d+$/.test(raw)) return asNumber(raw);
  return undefined;
}

/** A NemoError for a non-zero envelope code (known or not). */
export function backendCodeError(code: number, body: JsonRecord, where: string, status?: number): NemoError {
  const mapped = knownBackendCode(code) ?? "unknown";
  const text = envelopeMessage(body);
  const bindId = mapped === "no_credits" ? findBindId(body) : undefined;
  return new NemoError(mapped, `${where}: backend code ${code}${text ? `: ${text}` : ""}`, {
    status,
    backendCode: code,
    bindId,
  });
}

/** The human text of an error answer: `message`, `msg`, `detail` or `error`, clipped. */
export function envelopeMessage(body: JsonRecord): string | undefined {
  const value = pick(body, "message", "msg", "detail", "error", "errorMessage", "error_message");
  const text = asString(value) ?? pickString(asRecord(value), "message", "msg");
  return text === undefined ? undefined : clip(text);
}

/**
 * The id for the registration link's `?bind=`, found leniently: `bind_id` / `bindId` at the top, in
 * `data` or `detail`, or a `bind=` parameter inside a link in the message.
 */
export function findBindId(body: unknown): string | undefined {
  const record = asRecord(body);
  if (!record) return undefined;
  for (const holder of [record, asRecord(record.data), asRecord(record.detail)]) {
    const id = pickString(holder, "bind_id", "bindId");
    if (id) return id;
  }
  for (const key of ["message", "msg", "detail", "register_url", "registerUrl", "url"]) {
    const text = asString(record[key]);
    const match = text ? /[?&]bind=([A-Za-z0-9_.-]+)/.exec(text) : null;
    if (match?.[1]) return match[1];
  }
  return undefined;
}
