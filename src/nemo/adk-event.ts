import { scrubSecrets } from "../log.js";
import type { TurnEvent } from "./types.js";
import { envelopeCode, envelopeMessage } from "./envelope.js";
import { asRecord, asString, clip, pick, pickString, type JsonRecord } from "./lenient.js";

/**
 * One `/run_sse` frame's data → the TurnEvents it holds. Never throws: the backend's older ADK
 * interpolates error text into frames unescaped, so a frame may be anything.
 *
 * ADK events are camelCase since ADK 1.0 and snake_case before it; both are read. Text parts
 * become `text` events (`partial` copies ADK's streaming flag, see TurnEvent in types.ts), parts with
 * `thought: true` are dropped, `functionCall` / `functionResponse` become tool events, and
 * `errorCode` / `errorMessage` or a top-level `error` become an `error` event after the parts, except
 * a finish reason in `errorCode` (`MAX_TOKENS`, `SAFETY`, …), which becomes `cut-short`.
 */

/** The most of an unreadable frame kept in an `invalid` event, so one bad frame cannot hold megabytes. */
export const MAX_INVALID_RAW = 2_000;

/**
 * Gemini's finish reasons other than STOP, which ADK copies into `errorCode` on the final event
 * (google/adk-python `LlmResponse.create`, adk-js likewise). They say why the reply ended, not that
 * the turn failed.
 */
const FINISH_REASONS = new Set([
  "MAX_TOKENS",
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "OTHER",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "MALFORMED_FUNCTION_CALL",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "IMAGE_OTHER",
  "NO_IMAGE",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "FINISH_REASON_UNSPECIFIED",
]);

const HEARTBEAT_TYPES = new Set(["heartbeat", "ping", "keepalive", "keep-alive", "keep_alive"]);

export interface ParsedFrame {
  events: TurnEvent[];
  /**
   * True when the frame was a real event from the agent (even one with nothing for the user, such as
   * a bare state delta); false for heartbeats. The silence watchdog resets only on meaningful frames.
   */
  meaningful: boolean;
}

const HEARTBEAT: ParsedFrame = { events: [{ type: "heartbeat" }], meaningful: false };

export function parseAdkFrame(data: string): ParsedFrame {
  if (data.trim() === "") return HEARTBEAT;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { events: [{ type: "invalid", raw: clip(data, MAX_INVALID_RAW) }], meaningful: true };
  }
  const record = asRecord(value);
  if (!record) return { events: [{ type: "invalid", raw: clip(data, MAX_INVALID_RAW) }], meaningful: true };
  if (isHeartbeat(record)) return HEARTBEAT;
  return { events: adkEventToTurnEvents(record), meaningful: true };
}

function isHeartbeat(record: JsonRecord): boolean {
  const keys = Object.keys(record);
  if (keys.length === 0) return true;
  const type = asString(record.type);
  if (type !== undefined && HEARTBEAT_TYPES.has(type.toLowerCase())) return true;
  return "heartbeat" in record && pick(record, "content", "error", "errorCode", "error_code") === undefined;
}

/** A parsed ADK event → TurnEvents (possibly none: an event with only a state delta says nothing to the user). */
export function adkEventToTurnEvents(event: JsonRecord): TurnEvent[] {
  const out: TurnEvent[] = [];
  const author = pickString(event, "author");
  const partial = event.partial === true;

  const content = asRecord(event.content);
  const parts = content && Array.isArray(content.parts) ? content.parts : [];
  for (const item of parts) {
    const part = asRecord(item);
    if (!part || part.thought === true) continue;
    const text = part.text;
    if (typeof text === "string" && text !== "") {
      out.push(author === undefined ? { type: "text", text, partial } : { type: "text", text, partial, author });
    }
    const call = asRecord(pick(part, "functionCall", "function_call"));
    if (call) out.push(toolEvent("tool-call", call));
    const response = asRecord(pick(part, "functionResponse", "function_response"));
    if (response) out.push(toolEvent("tool-result", response));
  }

  const error = errorOf(event);
  if (error) out.push(error);
  return out;
}

function toolEvent(type: "tool-call" | "tool-result", call: JsonRecord): TurnEvent {
  const name = pickString(call, "name") ?? "unknown";
  const id = pickString(call, "id");
  return id === undefined ? { type, name } : { type, name, id };
}

/** Error text may echo request details: tokens are cut before anyone can show or log it. */
function errorText(text: string): string {
  return scrubSecrets(clip(text));
}

function errorOf(event: JsonRecord): TurnEvent | undefined {
  const code = pickString(event, "errorCode", "error_code");
  const message = pickString(event, "errorMessage", "error_message");
  if (code !== undefined && FINISH_REASONS.has(code.toUpperCase())) {
    return message === undefined
      ? { type: "cut-short", reason: code.toUpperCase() }
      : { type: "cut-short", reason: code.toUpperCase(), message: errorText(message) };
  }
  if (code !== undefined || message !== undefined) {
    return code === undefined
      ? { type: "error", message: errorText(message ?? "") }
      : { type: "error", code, message: errorText(message ?? code) };
  }
  const error = event.error;
  if (error !== undefined && error !== null && error !== false) {
    const errorRecord = asRecord(error);
    const text = asString(error) ?? pickString(errorRecord, "message", "msg", "detail") ?? "the turn failed";
    const innerCode = pickString(errorRecord, "code", "errorCode", "error_code");
    return innerCode === undefined ? { type: "error", message: errorText(text) } : { type: "error", code: innerCode, message: errorText(text) };
  }
  // A gateway envelope in place of an ADK event: {"code":1002,"message":"…"}.
  const envelope = envelopeCode(event);
  if (envelope !== undefined && envelope !== 0 && event.content === undefined) {
    return { type: "error", code: String(envelope), message: errorText(envelopeMessage(event) ?? `backend code ${envelope}`) };
  }
  return undefined;
}
