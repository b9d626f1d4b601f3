import type { Readable } from "node:stream";
import { NemoError, isNemoError } from "../errors.js";
import { backendCodeError, envelopeCode, knownBackendCode, unwrapEnvelope } from "./envelope.js";
import { parseAdkFrame } from "./adk-event.js";
import { createFrameReader, MAX_FRAME_CHARS, type FrameHandlers, type FrameReader } from "./sse-frames.js";
import type { StreamWatchdog, Watched } from "./stream-watchdog.js";
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
  /** The client's one timer for every open stream's limits. */
  watchdog: StreamWatchdog;
}

/** undici's buffer per open stream: a process may hold thousands of them. */
const STREAM_HIGH_WATER_MARK = 16 * 1024;
/** Events parsed but not yet taken by the consumer before the socket is paused. */
const MAX_QUEUED_EVENTS = 64;

class TurnTimeout extends Error {
  override readonly name = "TurnTimeout";
}

export function runSseBody(sessionId: string, text: string): unknown {
  return { app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { parts: [{ text }] } };
}

/**
 * What one open stream keeps while it waits for the next frame, kept small on purpose: a worker may
 * hold ten thousand of them. It is the frame reader's handlers and the watchdog's entry itself (no
 * closures of its own), reads the body through 'data' events (no async iterator and its listeners)
 * and has no timer and no AbortController: the caller's signal goes to undici as it is, and the
 * watchdog ends the stream by destroying its body.
 */
class OpenStream implements Watched, FrameHandlers {
  readonly hardAt: number;
  silentAt: number;
  readonly queue: TurnEvent[] = [];
  /** The connection closed normally: the queue holds the last events. */
  ended = false;
  /** Why reading stopped (an error from the body, or a limit). */
  failure: unknown;
  earlyError: NemoError | undefined;
  private sawAgentFrame = false;
  private wake: (() => void) | undefined;
  private body: Readable | undefined;
  private frames: FrameReader | undefined;

  constructor(
    private readonly settings: TurnStreamSettings,
    private readonly token: string,
  ) {
    const now = Date.now();
    this.hardAt = now + settings.turnTimeoutMs;
    this.silentAt = now + settings.silentTimeoutMs;
  }

  /** The answer's body from here on: the watchdog may end it. */
  hold(body: Readable): void {
    this.body = body;
    this.settings.watchdog.watch(this);
  }

  /** Starts reading the body; events are queued until `next` takes them. */
  read(body: Readable): void {
    this.frames = createFrameReader(this);
    const decoder = new TextDecoder("utf-8");
    body.on("data", (chunk: Buffer) => {
      this.frames?.feed(decoder.decode(chunk, { stream: true }));
      if (this.earlyError || this.queue.length >= MAX_QUEUED_EVENTS) body.pause();
      this.signal();
    });
    body.on("end", () => {
      // The connection closed: that is the end. A last frame without its blank line still counts.
      this.frames?.feed(decoder.decode());
      this.frames?.end();
      this.ended = true;
      this.signal();
    });
    body.on("error", (error: unknown) => this.stop(error));
    body.on("close", () => {
      if (!this.ended) this.stop(Object.assign(new Error("the event stream closed before its end"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    });
  }

  /** Resolves when there is something new: an event, the end, or a failure. */
  async next(): Promise<void> {
    if (this.queue.length > 0 || this.ended || this.failure !== undefined || this.earlyError) return;
    if (this.body?.isPaused()) this.body.resume();
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  close(): void {
    this.settings.watchdog.unwatch(this);
    this.wake = undefined;
  }

  expire(why: "hard" | "silent"): void {
    const error =
      why === "hard"
        ? new TurnTimeout(`the turn ran past its limit of ${this.settings.turnTimeoutMs} ms`)
        : new TurnTimeout(`nothing but heartbeats for ${this.settings.silentTimeoutMs} ms`);
    this.stop(error);
    if (this.body && !this.body.destroyed) {
      // Destroyed with the reason, so a reader of a JSON answer sees it too.
      this.body.on("error", () => undefined);
      this.body.destroy(error);
    }
  }

  onData(data: string): void {
    if (!this.sawAgentFrame && !this.earlyError) {
      const envelopeError = envelopeErrorOf(data);
      if (envelopeError) this.earlyError = scrubbed(envelopeError, this.token);
    }
    const frame = parseAdkFrame(data);
    if (frame.meaningful) {
      this.sawAgentFrame = true;
      this.silentAt = Date.now() + this.settings.silentTimeoutMs;
    }
    for (const event of frame.events) this.queue.push(event);
  }

  onComment(): void {
    this.queue.push({ type: "heartbeat" });
  }

  onOverflow(): void {
    this.queue.push({ type: "invalid", raw: `[a frame longer than ${MAX_FRAME_CHARS} characters was dropped]` });
  }

  private stop(error: unknown): void {
    this.failure ??= error;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export async function* streamTurn(
  http: NemoHttp,
  settings: TurnStreamSettings,
  auth: NemoAuth,
  sessionId: string,
  text: string,
  options: TurnOptions = {},
): AsyncGenerator<TurnEvent, void, undefined> {
  const outer = options.signal;
  if (outer?.aborted) throw outer.reason;
  const stream = new OpenStream(settings, auth.token);
  // Until the headers come, undici's own headers timeout keeps the limits: the shorter of the two.
  const limitMs = Math.min(settings.turnTimeoutMs, settings.silentTimeoutMs);
  const headersTimeoutMs = Math.min(settings.headersTimeoutMs, limitMs);

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

    stream.hold(answer.body);
    const contentType = String(answer.headers["content-type"] ?? "");
    if (/text\/html/i.test(contentType)) {
      // A gateway's page with status 200 is not a turn: read as SSE it would look like a silent turn.
      throw new NemoError("bad_response", "POST /run_sse: expected an event stream, got an HTML page", { status: answer.statusCode });
    }
    if (/json/i.test(contentType)) {
      // A JSON answer with status 200 is an error envelope (or, leniently, one ADK event).
      const opened = answer;
      const body = await readText(opened.body, MAX_FRAME_CHARS).catch((error: unknown) => {
        throw error instanceof TurnTimeout ? turnTimeout(error) : opened.fail(error);
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

    stream.read(answer.body);
    for (;;) {
      await stream.next();
      // A gateway error envelope as the first frame is thrown like an error before the stream.
      if (stream.earlyError) throw stream.earlyError;
      const event = stream.queue.shift();
      if (event !== undefined) {
        if (event.type !== "heartbeat") yielded += 1;
        yield event;
        continue;
      }
      if (stream.failure !== undefined) throw streamFailure(stream.failure, answer, yielded);
      if (stream.ended) return;
    }
  } finally {
    stream.close();
    answer?.done();
    // A consumer that stops early must not leave the connection open.
    if (answer) discardBody(answer.body);
  }
}

/** The error a broken-off stream throws: a limit, the caller's abort, or a drop after `yielded` events. */
function streamFailure(failure: unknown, answer: OpenAnswer, yielded: number): unknown {
  if (failure instanceof TurnTimeout) return turnTimeout(failure);
  const mapped = answer.fail(failure);
  if (mapped instanceof NemoError && mapped.code === "network") {
    return new NemoError("network", `POST /run_sse: the connection dropped after ${yielded} events; the turn may have been applied (${mapped.message})`, {
      cause: mapped,
    });
  }
  return mapped;
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
