import { NemoError } from "../errors.js";
import { backendCodeError, envelopeCode, envelopeMessage, knownBackendCode } from "./envelope.js";
import { asRecord, clip } from "./lenient.js";

/**
 * Turns a non-2xx answer into the contract's NemoError. A known envelope code in the body wins
 * (a 4xx carrying `{"code":1001}` is a bad token); otherwise the HTTP status decides.
 */
export interface FailedAnswer {
  status: number;
  /** The parsed body, when it was JSON. */
  body: unknown;
  /** The body's text (clipped), for messages when it was not JSON. */
  text: string;
  /** Which call: "POST /api/…"; never holds a secret. */
  where: string;
  /** The anonymous-token call reads 400 and 429 its own way. */
  anonymous?: boolean;
}

export function errorFromAnswer(answer: FailedAnswer): NemoError {
  const { status, where } = answer;
  const record = asRecord(answer.body);
  const code = record ? envelopeCode(record) : undefined;
  if (record && code !== undefined && knownBackendCode(code)) return backendCodeError(code, record, where, status);

  const said = (record ? envelopeMessage(record) : undefined) ?? clip(answer.text.trim());
  const message = `${where}: HTTP ${status}${said ? `: ${said}` : ""}`;
  const details = { status, backendCode: code };

  if (status === 404 && /session\s+not\s+found/i.test(said)) return new NemoError("session_not_found", message, details);
  if (status === 400 && answer.anonymous) return new NemoError("missing_client_id", message, details);
  // Not in the contract's table, but a 401 can only mean the token: renewing it is the one useful reaction.
  if (status === 401) return new NemoError("token_invalid", message, details);
  if (status === 402) return new NemoError("plan_blocked", message, details);
  if (status === 429) return new NemoError(answer.anonymous ? "anonymous_limit" : "rate_limited", message, details);
  if (status >= 500) return new NemoError("server", message, details);
  if (status >= 400) return new NemoError("bad_request", message, details);
  return new NemoError("bad_response", message, details);
}
