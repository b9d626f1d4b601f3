import { NemoError } from "../errors.js";
import { backendCodeError, envelopeCode, knownBackendCode, unwrapEnvelope } from "./envelope.js";
import { parseAdkFrame } from "./adk-event.js";
import { createFrameReader, MAX_FRAME_CHARS } from "./sse-frames.js";
import { discardBody, readText, scrubbed, type NemoHttp, type OpenAnswer } from "./http.js";
import { asRecord } from "./lenient.js";
import type { NemoAuth, TurnEvent, TurnOptions } from "./types.js";

/**
 * One message through `POST /run_sse`, as an async iterator of TurnEvents.
 *
 * - The request is sent when iteration starts. Errors before the stream (a non-200, a JSON error
 *   body such as 404 Session not found, an envelope code, a 429) are thrown by the first `next()`,
 *   before any event: the message did not reach the agent and may be sent again after a fix.
 * - There is no end event: the iterator finishes when the backend closes the connection.
 * - A connection dropped after the stream began throws NemoError('network'): the turn may have been
 *   applied, so callers must read the state instead of sending the message again.
 * - `turnTimeoutMs` is a hard limit; `silentTimeoutMs` of heartbeats only (nothing from the agent)
 *   also ends it; both throw NemoError('turn_timeout'). Aborting `options.signal` closes the
 *   connection and throws the signal's reason.
 * - Never retried, not even after 429: a message reaches the stream at most once.
 */

export interface TurnStreamSettings {
  turnTimeoutMs: number;
  silentTimeoutMs: number;
  /** How long to wait for the answer's headers. */
  headersTimeoutMs: number;
}

/** undici's buffer per open stream: a process may hold a thousand of them. */
const STREAM_HIGH_WATER_MARK = 16 * 1024;

class TurnTimeout extends Error {
  override readonly name = "TurnTimeout";
}

export function runSseBody(sessionId: string, text: string): unknown {
  return { app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { parts: [{ text }] } };
}

export async function* streamTurn(
  http: NemoHttp,
  settings: TurnStreamSettings,
  auth: NemoAuth,
  sessionId: string,
  text: string,
  options: TurnOptions = {},
): AsyncGenerator<TurnEvent, void, undefined> {
  const controller = new AbortController();
  const outer = options.signal;
  if (outer?.aborted) throw outer.reason;
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  const hardTimer = setTimeout(
    () => controller.abort(new TurnTimeout(`the turn ran past its limit of ${settings.turnTimeoutMs} ms`)),
    settings.turnTimeoutMs,
  );
  const silentTimer = setTimeout(
    () => controller.abort(new TurnTimeout(`nothing but heartbeats for ${settings.silentTimeoutMs} ms`)),
    settings.silentTimeoutMs,
  );

  const toError = (mapped: unknown): unknown =>
    mapped instanceof TurnTimeout ? new NemoError("turn_timeout", `POST /run_sse: ${mapped.message}`, { cause: mapped }) : mapped;

  let answer: OpenAnswer | undefined;
  let yielded = 0;
  try {
    try {
      answer = await http.open({
        method: "POST",
        path: "/run_sse",
        auth,
        headers: { accept: "text/event-stream" },
        json: runSseBody(sessionId, text),
        signal: controller.signal,
        retry429: false,
        headersTimeoutMs: settings.headersTimeoutMs,
        bodyTimeoutMs: 0,
        highWaterMark: STREAM_HIGH_WATER_MARK,
      });
    } catch (error) {
      throw toError(error);
    }

    const contentType = String(answer.headers["content-type"] ?? "");
    if (/text\/html/i.test(contentType)) {
      // A gateway's page with status 200 is not a turn: read as SSE it would look like a silent turn.
      throw new NemoError("bad_response", "POST /run_sse: expected an event stream, got an HTML page", { status: answer.statusCode });
    }
    if (/json/i.test(contentType)) {
      // A JSON answer with status 200 is an error envelope (or, leniently, one ADK event).
      const body = await readText(answer.body, MAX_FRAME_CHARS).catch((error: unknown) => {
        throw toError(answer?.fail(error));
      });
      let data: unknown;
      try {
        data = unwrapEnvelope(JSON.parse(body), "POST /run_sse", answer.statusCode);
      } catch (error) {
        if (error instanceof NemoError) throw scrubbed(error, auth.token);
        throw new NemoError("bad_response", "POST /run_sse: expected an event stream, got unreadable JSON", { cause: error });
      }
      const record = asRecord(data);
      if (!record) throw new NemoError("bad_response", "POST /run_sse: expected an event stream");
      yield* parseAdkFrame(JSON.stringify(record)).events;
      return;
    }

    const queue: TurnEvent[] = [];
    let earlyError: NemoError | undefined;
    let sawAgentFrame = false;
    const frames = createFrameReader({
      onData: (data) => {
        if (!sawAgentFrame && !earlyError) {
          const envelopeError = envelopeErrorOf(data);
          if (envelopeError) earlyError = scrubbed(envelopeError, auth.token);
        }
        const frame = parseAdkFrame(data);
        if (frame.meaningful) {
          sawAgentFrame = true;
          silentTimer.refresh();
        }
        for (const event of frame.events) queue.push(event);
      },
      onComment: () => {
        queue.push({ type: "heartbeat" });
      },
      onOverflow: () => {
        queue.push({ type: "invalid", raw: `[a frame longer than ${MAX_FRAME_CHARS} characters was dropped]` });
      },
    });

    const decoder = new TextDecoder("utf-8");
    try {
      for await (const chunk of answer.body as AsyncIterable<Buffer>) {
        frames.feed(decoder.decode(chunk, { stream: true }));
        if (earlyError) throw earlyError;
        while (queue.length > 0) {
          const event = queue.shift() as TurnEvent;
          if (event.type !== "heartbeat") yielded += 1;
          yield event;
        }
      }
    } catch (error) {
      if (error === earlyError) throw error;
      const mapped = toError(answer.fail(error));
      if (mapped instanceof NemoError && mapped.code === "network") {
        throw new NemoError(
          "network",
          `POST /run_sse: the connection dropped after ${yielded} events; the turn may have been applied (${mapped.message})`,
          { cause: mapped },
        );
      }
      throw mapped;
    }
    // The connection closed: that is the end. A last frame without its blank line still counts.
    frames.feed(decoder.decode());
    frames.end();
    if (earlyError) throw earlyError;
    yield* queue.splice(0);
  } finally {
    clearTimeout(hardTimer);
    clearTimeout(silentTimer);
    outer?.removeEventListener("abort", onOuterAbort);
    answer?.done();
    // A consumer that stops early must not leave the connection open.
    if (answer) discardBody(answer.body);
  }
}

/** A gateway error envelope (`{"code":1002,…}`) as the first frame: thrown like an error before the stream. */
function envelopeErrorOf(data: string): NemoError | undefined {
  if (!data.includes('"code"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  const record = asRecord(value);
  if (!record || record.content !== undefined) return undefined;
  const code = envelopeCode(record);
  if (code === undefined || !knownBackendCode(code)) return undefined;
  return backendCodeError(code, record, "POST /run_sse", 200);
}
