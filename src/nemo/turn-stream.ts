import { NemoError, isNemoError } from "../errors.js";
import { backendCodeError, envelopeCode, knownBackendCode, unwrapEnvelope } from "./envelope.js";
import { parseAdkFrame } from "./adk-event.js";
import { FrameReader, MAX_FRAME_CHARS, type FrameHandlers } from "./sse-frames.js";
import type { StreamWatchdog, Watched } from "./stream-watchdog.js";
import type { Readable } from "node:stream";
import { discardBody, readText, scrubbed, type Exchange, type NemoHttp, type OpenAnswer } from "./http.js";
import { asRecord } from "./lenient.js";
import type { NemoAuth, OpenTurn, TurnEvent, TurnListener, TurnOptions } from "./types.js";

/**
 * One message through `POST /run_sse`: `openTurn` sends it and resolves with the open stream, whose
 * events go to a listener as they come (a worker holds thousands this way, callback-style);
 * `streamTurn` is the same as an async iterator of TurnEvents.
 *
 * - Errors before the stream (a non-200, a JSON error body such as 404 Session not found, an
 *   envelope code, a 429) reject `openTurn` (the iterator's first `next()`), before any event: the
 *   message did not reach the agent and may be sent again after a fix. A gateway error envelope
 *   in the stream before the agent said anything ends it with that error, likewise.
 * - There is no end event: the stream ends when the backend closes the connection.
 * - A connection dropped after the stream began ends it with NemoError('network'): the turn may have
 *   been applied, so callers must read the state instead of sending the message again.
 * - `turnTimeoutMs` is a hard limit; `silentTimeoutMs` of heartbeats only (nothing from the agent)
 *   also ends it; both with NemoError('turn_timeout'). Aborting `options.signal` (or `abort`) closes
 *   the connection and ends it with the reason.
 * - Never retried, not even after 429: a message reaches the stream at most once.
 */

export interface TurnStreamSettings {
  turnTimeoutMs: number;
  silentTimeoutMs: number;
  /** How long to wait for the answer's headers. */
  headersTimeoutMs: number;
  /** The client's one timer for every open stream's limits. */
  watchdog: StreamWatchdog;
}

/** undici's buffer per open stream: a process may hold thousands of them. */
const STREAM_HIGH_WATER_MARK = 16 * 1024;

class TurnTimeout extends Error {
  override readonly name = "TurnTimeout";
}

export function runSseBody(sessionId: string, text: string): unknown {
  return { app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { parts: [{ text }] } };
}

/** One event for every comment line (ten thousand streams send one every few seconds): nobody changes an event. */
const HEARTBEAT: TurnEvent = { type: "heartbeat" };

/** Where an open stream's body finds its reader: the body's listeners are shared by every stream. */
const kStream = Symbol("nemo.openStream");
type StreamBody = Readable & { [kStream]?: OpenStream };

function onBodyData(this: StreamBody, chunk: Buffer): void {
  this[kStream]?.bytes(chunk);
}
function onBodyEnd(this: StreamBody): void {
  this[kStream]?.closed();
}
function onBodyError(this: StreamBody, error: unknown): void {
  this[kStream]?.broke(error);
}
function onBodyClose(this: StreamBody): void {
  this[kStream]?.broke(Object.assign(new Error("the event stream closed before its end"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
}

/**
 * One open event stream, read callback-style: each frame goes to the listener as it is parsed, with
 * no queue, no async iterator and no suspended frame of its own. Kept small on purpose, since a
 * worker holds ten thousand of them: it is the frame reader's handlers and the watchdog's entry
 * itself; the body's four listeners are functions shared by every stream, which find this one
 * through the body; it keeps the answer's body and its exchange (one small object), not the
 * answer (its headers); and it has no timer and no AbortController: the watchdog ends the stream
 * by destroying its body.
 */
class OpenStream implements Watched, FrameHandlers, OpenTurn {
  readonly hardAt: number;
  silentAt: number;
  private sawAgentFrame = false;
  /** Events other than heartbeats told so far (for the message of a drop). */
  private told = 0;
  private listener: TurnListener | undefined;
  /** Set once: undefined while open; `{ error }` once ended (error undefined: a normal end). */
  private ended: { error: unknown } | undefined;
  private frames: FrameReader | undefined;
  private readonly body: StreamBody;
  private readonly exchange: Exchange;

  constructor(
    private readonly settings: TurnStreamSettings,
    private readonly token: string,
    answer: OpenAnswer,
  ) {
    const now = Date.now();
    this.hardAt = now + settings.turnTimeoutMs;
    this.silentAt = now + settings.silentTimeoutMs;
    this.body = answer.body;
    this.exchange = answer.exchange;
    settings.watchdog.watch(this);
  }

  listen(listener: TurnListener): void {
    if (this.ended) {
      // Ended (a limit, an abort) before anyone listened: told at once, but not from inside `listen`.
      const { error } = this.ended;
      queueMicrotask(() => listener.onEnd(error));
      return;
    }
    this.listener = listener;
    this.frames = new FrameReader(this);
    const body = this.body;
    body[kStream] = this;
    body.on("data", onBodyData);
    body.on("end", onBodyEnd);
    body.on("error", onBodyError);
    body.on("close", onBodyClose);
  }

  /** A chunk of the body. */
  bytes(chunk: Buffer): void {
    this.frames?.feedBytes(chunk);
  }

  /** The connection closed: that is the end. A last frame without its blank line still counts. */
  closed(): void {
    this.frames?.endBytes();
    this.finish(undefined);
  }

  /** The body failed, or closed before its end (nothing once the stream has ended). */
  broke(error: unknown): void {
    if (!this.ended) this.finish(this.failureOf(error));
  }

  abort(reason: unknown): void {
    this.finish(reason);
  }

  expire(why: "hard" | "silent"): void {
    const error =
      why === "hard"
        ? new TurnTimeout(`the turn ran past its limit of ${this.settings.turnTimeoutMs} ms`)
        : new TurnTimeout(`nothing but heartbeats for ${this.settings.silentTimeoutMs} ms`);
    this.finish(turnTimeout(error));
  }

  onData(data: string): void {
    if (this.ended) return;
    if (!this.sawAgentFrame) {
      // A gateway error envelope before the agent said anything: an error like one before the stream.
      const envelopeError = envelopeErrorOf(data);
      if (envelopeError) {
        this.finish(scrubbed(envelopeError, this.token));
        return;
      }
    }
    const frame = parseAdkFrame(data);
    if (frame.meaningful) {
      this.sawAgentFrame = true;
      this.silentAt = Date.now() + this.settings.silentTimeoutMs;
    }
    for (const event of frame.events) this.tell(event);
  }

  onComment(): void {
    this.tell(HEARTBEAT);
  }

  onOverflow(): void {
    this.tell({ type: "invalid", raw: `[a frame longer than ${MAX_FRAME_CHARS} characters was dropped]` });
  }

  private tell(event: TurnEvent): void {
    if (this.ended) return;
    if (event.type !== "heartbeat") this.told += 1;
    this.listener?.onEvent(event);
  }

  /** The error a broken-off stream ends with: a drop after `told` events, or what undici said. */
  private failureOf(failure: unknown): unknown {
    const mapped = this.exchange.fail(failure);
    if (mapped instanceof NemoError && mapped.code === "network") {
      return new NemoError("network", `POST /run_sse: the connection dropped after ${this.told} events; the turn may have been applied (${mapped.message})`, {
        cause: mapped,
      });
    }
    return mapped;
  }

  private finish(error: unknown): void {
    if (this.ended) return;
    this.ended = { error };
    this.settings.watchdog.unwatch(this);
    this.exchange.done();
    this.frames = undefined;
    this.body[kStream] = undefined;
    // Ended early (a limit, an abort, an error envelope): the connection must not stay open.
    discardBody(this.body);
    const listener = this.listener;
    this.listener = undefined;
    listener?.onEnd(error);
  }
}

/** A JSON answer with status 200 that is one ADK event: its events, then the end. */
class AnsweredTurn implements OpenTurn {
  constructor(private readonly events: TurnEvent[]) {}

  listen(listener: TurnListener): void {
    const events = this.events;
    queueMicrotask(() => {
      for (const event of events) listener.onEvent(event);
      listener.onEnd(undefined);
    });
  }

  abort(): void {
    // Nothing is open.
  }
}

/**
 * Sends the message and resolves once the backend answered with its event stream: errors before it
 * (a non-200, a JSON error body, an envelope code, a 429, an HTML page) reject, before any event.
 * The stream is then read only once `listen` is called.
 */
export async function openTurn(
  http: NemoHttp,
  settings: TurnStreamSettings,
  auth: NemoAuth,
  sessionId: string,
  text: string,
  options: TurnOptions = {},
): Promise<OpenTurn> {
  const outer = options.signal;
  if (outer?.aborted) throw outer.reason;
  // Until the headers come, undici's own headers timeout keeps the limits: the shorter of the two.
  const limitMs = Math.min(settings.turnTimeoutMs, settings.silentTimeoutMs);
  const headersTimeoutMs = Math.min(settings.headersTimeoutMs, limitMs);

  let answer: OpenAnswer;
  try {
    answer = await http.open({
      method: "POST",
      path: "/run_sse",
      auth,
      headers: { accept: "text/event-stream" },
      json: runSseBody(sessionId, text),
      ...(outer ? { signal: outer } : {}),
      retry429: false,
      headersTimeoutMs,
      bodyTimeoutMs: 0,
      highWaterMark: STREAM_HIGH_WATER_MARK,
    });
  } catch (error) {
    if (headersTimeoutMs < settings.headersTimeoutMs && isHeadersTimeout(error)) {
      const why = settings.turnTimeoutMs <= settings.silentTimeoutMs ? `the turn ran past its limit of ${settings.turnTimeoutMs} ms` : `nothing but heartbeats for ${settings.silentTimeoutMs} ms`;
      throw new NemoError("turn_timeout", `POST /run_sse: ${why}`, { cause: error });
    }
    throw error;
  }

  const contentType = String(answer.headers["content-type"] ?? "");
  if (/text\/html/i.test(contentType) || /json/i.test(contentType)) {
    try {
      return await readWholeAnswer(answer, settings, auth.token, contentType);
    } finally {
      answer.exchange.done();
      discardBody(answer.body);
    }
  }
  return new OpenStream(settings, auth.token, answer);
}

/** An answer that is not an event stream: a gateway's HTML page, an error envelope, or one ADK event as JSON. */
async function readWholeAnswer(answer: OpenAnswer, settings: TurnStreamSettings, token: string, contentType: string): Promise<OpenTurn> {
  if (/text\/html/i.test(contentType)) {
    // A gateway's page with status 200 is not a turn: read as SSE it would look like a silent turn.
    throw new NemoError("bad_response", "POST /run_sse: expected an event stream, got an HTML page", { status: answer.statusCode });
  }
  // The limits still hold while the body is read: the watchdog destroys it with the reason.
  const limits: Watched = {
    hardAt: Date.now() + settings.turnTimeoutMs,
    silentAt: Date.now() + settings.silentTimeoutMs,
    expire(why) {
      const error = new TurnTimeout(why === "hard" ? `the turn ran past its limit of ${settings.turnTimeoutMs} ms` : `nothing but heartbeats for ${settings.silentTimeoutMs} ms`);
      answer.body.on("error", () => undefined);
      answer.body.destroy(error);
    },
  };
  settings.watchdog.watch(limits);
  let body: string;
  try {
    body = await readText(answer.body, MAX_FRAME_CHARS).catch((error: unknown) => {
      throw error instanceof TurnTimeout ? turnTimeout(error) : answer.exchange.fail(error);
    });
  } finally {
    settings.watchdog.unwatch(limits);
  }
  let data: unknown;
  try {
    data = unwrapEnvelope(JSON.parse(body), "POST /run_sse", answer.statusCode);
  } catch (error) {
    if (error instanceof NemoError) throw scrubbed(error, token);
    throw new NemoError("bad_response", "POST /run_sse: expected an event stream, got unreadable JSON", { cause: error });
  }
  const record = asRecord(data);
  if (!record) throw new NemoError("bad_response", "POST /run_sse: expected an event stream");
  return new AnsweredTurn(parseAdkFrame(JSON.stringify(record)).events);
}

/**
 * The same stream as an async iterator (for callers that read one turn at a time): events as they
 * come, then the end, or the error the stream ended with.
 */
export async function* streamTurn(
  http: NemoHttp,
  settings: TurnStreamSettings,
  auth: NemoAuth,
  sessionId: string,
  text: string,
  options: TurnOptions = {},
): AsyncGenerator<TurnEvent, void, undefined> {
  const turn = await openTurn(http, settings, auth, sessionId, text, options);
  const queue: TurnEvent[] = [];
  let end: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  turn.listen({
    onEvent(event) {
      queue.push(event);
      wake?.();
    },
    onEnd(error) {
      end = { error };
      wake?.();
    },
  });
  try {
    for (;;) {
      const event = queue.shift();
      if (event !== undefined) {
        yield event;
        continue;
      }
      if (end) {
        if (end.error !== undefined) throw end.error;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    // A consumer that stops early must not leave the connection open.
    if (!end) turn.abort(new Error("the reader stopped"));
  }
}

function turnTimeout(cause: TurnTimeout): NemoError {
  return new NemoError("turn_timeout", `POST /run_sse: ${cause.message}`, { cause });
}

function isHeadersTimeout(error: unknown): boolean {
  return isNemoError(error, "timeout") && (error.cause as { code?: unknown } | undefined)?.code === "UND_ERR_HEADERS_TIMEOUT";
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
