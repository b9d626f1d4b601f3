import type { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request, type Dispatcher } from "undici";
import { NemoError } from "../errors.js";
import { scrubSecrets, silentLogger, type Logger } from "../log.js";
import { errorFromAnswer } from "./error-map.js";
import { unwrapEnvelope } from "./envelope.js";
import { UploadSourceError } from "./multipart.js";
import type { NemoAuth } from "./types.js";
import { trimEndOf } from "../text/trim.js";

/**
 * One HTTP exchange with the backend over undici: the attribution headers, the bearer token, a
 * timeout of our own, the one retry after HTTP 429, and every failure mapped to a NemoError whose
 * message never holds the token.
 */

export interface HttpSettings {
  baseUrl: string;
  skill: { source: string; version: string };
  platform: string;
  requestTimeoutMs: number;
  retryAfter429Ms: number;
  logger?: Logger;
  /** undici dispatcher; default an Agent of this client's own (see `NemoHttp.dispatcher`). */
  dispatcher?: Dispatcher;
}

/** A request body built afresh for each attempt (a 429 retry re-opens upload sources). */
export interface BodySpec {
  contentType: string;
  contentLength?: number;
  open: () => string | Readable;
}

export interface CallSpec {
  method: "GET" | "POST";
  /** A path on the base URL, or an absolute URL (a render's output URL). */
  path: string;
  /** Bearer token; omitted on the anonymous-token call and for foreign hosts. */
  auth?: NemoAuth;
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodySpec;
  /** The whole exchange, headers and body; undefined: no total limit (streams keep their own). */
  timeoutMs?: number;
  /** undici's own limits; the event stream sets bodyTimeout 0 and watches silence itself. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  signal?: AbortSignal;
  /** undici's response buffer; small for event streams, of which a process may hold a thousand. */
  highWaterMark?: number;
  /** The anonymous-token call reads 400 and 429 its own way. */
  anonymous?: boolean;
  /** Retry once after HTTP 429 (default true). Never for /run_sse: a message reaches the stream at most once. */
  retry429?: boolean;
}

/** A 2xx answer whose body the caller reads, and its exchange, to end once the body is read. */
export interface OpenAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  exchange: Exchange;
}

/** The most of a JSON answer read into memory; a session state is well below it. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Error answers are read only this far: enough for their message. */
const MAX_ERROR_BYTES = 64 * 1024;

class OwnTimeout extends Error {
  override readonly name = "OwnTimeout";
}

/** What undici is given as a request's signal: an AbortSignal, or (for a stream) an AbortRelay. */
type RequestSignal = AbortSignal | AbortRelay;

/**
 * One request's own limits and signal. `fail` maps an error met while reading the body (our timeout,
 * the caller's abort, a drop); `done` clears the timer or the relay. A reader of a long body (an
 * event stream) keeps this, not the answer and its headers.
 */
export interface Exchange {
  readonly signal: RequestSignal | undefined;
  fail(error: unknown): unknown;
  done(): void;
}

/**
 * The caller's AbortSignal, relayed to undici for a request without a total limit (an event stream,
 * open for minutes). undici keeps the signal it is given, and its listener on it, until the body
 * closes: given the caller's signal, every open stream kept that AbortSignal alive (about 0.7 KB,
 * with its listener 0.9 KB) long after its owner let go of it (a turn's drainer job drops its
 * controller as it parks, its stream read on by the stream hub). undici keeps this relay instead
 * (under 0.2 KB): it takes an EventEmitter-style signal (`on`, `once`, `removeListener`, `aborted`,
 * `reason`). The caller's signal holds the relay as its listener (`handleEvent`) while the relay
 * holds the caller's signal only weakly, to take that listener off when the exchange is done: an
 * abort still reaches the request as long as the caller keeps its signal.
 */
export class AbortRelay {
  aborted = false;
  reason: unknown = undefined;
  /** undici's one listener (it adds one per request). */
  private listener: (() => void) | undefined = undefined;
  private readonly source: WeakRef<AbortSignal>;

  constructor(source: AbortSignal) {
    this.source = new WeakRef(source);
    source.addEventListener("abort", this, { once: true });
  }

  /** The caller's signal aborted: so does the request (or its body, once it has one). */
  handleEvent(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = this.source.deref()?.reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  on(_event: "abort", listener: () => void): this {
    return this.once(_event, listener);
  }

  once(_event: "abort", listener: () => void): this {
    // undici adds one listener per request; a second would be a change in undici to notice in tests.
    if (this.listener !== undefined && this.listener !== listener) throw new Error("AbortRelay takes one listener");
    this.listener = listener;
    return this;
  }

  removeListener(_event: "abort", listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }

  /** The exchange is over: the caller's signal no longer holds this relay. */
  detach(): void {
    this.source.deref()?.removeEventListener("abort", this);
  }
}

const NETWORK_TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export class NemoHttp {
  readonly settings: HttpSettings;
  private readonly logger: Logger;
  /**
   * Every request goes through this dispatcher, never undici's global one: the global is shared with
   * every other undici in the process (@discordjs/rest ships its own), and whichever loads first
   * installs it, so depending on it would make our behaviour depend on module load order.
   */
  private readonly dispatcher: Dispatcher;

  constructor(settings: HttpSettings) {
    this.settings = settings;
    this.logger = settings.logger ?? silentLogger;
    this.dispatcher = settings.dispatcher ?? new Agent();
  }

  url(path: string): URL {
    return /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\/?/, "/"), this.base());
  }

  private base(): string {
    return trimEndOf(this.settings.baseUrl, "/");
  }

  /** Whether a URL is on the backend's own host (and so may receive the token). */
  sameOrigin(url: URL): boolean {
    return url.origin === new URL(this.base()).origin;
  }

  headers(spec: CallSpec): Record<string, string> {
    const headers: Record<string, string> = {
      "x-skill-source": this.settings.skill.source,
      "x-skill-version": this.settings.skill.version,
      "x-skill-platform": this.settings.platform,
      ...spec.headers,
    };
    if (spec.auth) headers.authorization = `Bearer ${spec.auth.token}`;
    return headers;
  }

  /** A JSON call: the envelope unwrapped, or the NemoError it reports. */
  async call(spec: CallSpec): Promise<unknown> {
    return (await this.callWithText(spec)).data;
  }

  /** As `call`, with the answer's text too (to recover numeric ids that JSON.parse rounds). */
  async callWithText(spec: CallSpec): Promise<{ data: unknown; text: string }> {
    const where = `${spec.method} ${this.url(spec.path).pathname}`;
    const answer = await this.open({ ...spec, timeoutMs: spec.timeoutMs ?? this.settings.requestTimeoutMs });
    let text: string;
    try {
      text = await readText(answer.body, MAX_JSON_BYTES);
    } catch (error) {
      throw answer.exchange.fail(error);
    } finally {
      answer.exchange.done();
    }
    if (text.trim() === "") return { data: undefined, text };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new NemoError("bad_response", `${where}: the answer is not JSON`, { status: answer.statusCode, cause });
    }
    try {
      return { data: unwrapEnvelope(parsed, where, answer.statusCode), text };
    } catch (error) {
      throw error instanceof NemoError ? scrubbed(error, spec.auth?.token) : error;
    }
  }

  /**
   * Sends the request and returns a 2xx answer with its body unread; any other status is read,
   * mapped and thrown (after one retry on 429 unless the spec forbids it).
   */
  async open(spec: CallSpec): Promise<OpenAnswer> {
    const retry429 = spec.retry429 ?? true;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.attempt(spec);
      } catch (error) {
        if (!(error instanceof NemoError) || error.status !== 429 || !retry429 || attempt > 0) throw error;
        this.logger.warn({ where: `${spec.method} ${this.url(spec.path).pathname}`, waitMs: this.settings.retryAfter429Ms }, "nemo: rate limited, retrying once");
        await sleep(this.settings.retryAfter429Ms, undefined, { signal: spec.signal });
      }
    }
  }

  private async attempt(spec: CallSpec): Promise<OpenAnswer> {
    const url = this.url(spec.path);
    const where = `${spec.method} ${url.pathname}`;
    const token = spec.auth?.token;
    const outer = spec.signal;
    if (outer?.aborted) throw outer.reason;
    const timeoutMs = spec.timeoutMs !== undefined && spec.timeoutMs > 0 ? spec.timeoutMs : undefined;
    // Without a total limit (an event stream, which keeps its own) there is no controller of ours:
    // a process holding thousands of open turns keeps one controller and listener less for each.
    const exchange = timeoutMs === undefined ? new UntimedExchange(this, outer, spec, token) : new TimedExchange(this, outer, timeoutMs, where, token);
    const { signal } = exchange;

    const headers = this.headers(spec);
    let body: Buffer | string | Readable | undefined;
    if (spec.json !== undefined) {
      headers["content-type"] = "application/json";
      body = unpooled(JSON.stringify(spec.json));
    } else if (spec.body) {
      headers["content-type"] = spec.body.contentType;
      if (spec.body.contentLength !== undefined) headers["content-length"] = String(spec.body.contentLength);
      body = spec.body.open();
    }

    const started = Date.now();
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: spec.method,
        headers,
        body: body ?? null,
        ...(signal ? { signal: asUndiciSignal(signal) } : {}),
        dispatcher: this.dispatcher,
        headersTimeout: spec.headersTimeoutMs ?? spec.timeoutMs ?? this.settings.requestTimeoutMs,
        bodyTimeout: spec.bodyTimeoutMs ?? spec.timeoutMs ?? this.settings.requestTimeoutMs,
        ...(spec.highWaterMark === undefined ? {} : { highWaterMark: spec.highWaterMark }),
      });
    } catch (error) {
      exchange.done();
      if (body instanceof Readable) body.destroy();
      throw exchange.fail(error);
    }
    this.logger.debug({ where, status: response.statusCode, ms: Date.now() - started }, "nemo: answer");

    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { statusCode: response.statusCode, headers: response.headers, body: response.body, exchange };
    }
    let text = "";
    try {
      text = await readText(response.body, MAX_ERROR_BYTES, true);
    } catch (error) {
      exchange.done();
      throw exchange.fail(error);
    }
    exchange.done();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = errorFromAnswer({ status: response.statusCode, body: parsed, text, where, anonymous: spec.anonymous });
    throw scrubbed(error, token);
  }

  /** Our timeout → timeout; the caller's abort → its own reason; a bad source → as it is; else network. */
  mapFailure(error: unknown, signal: RequestSignal | undefined, where: string, token: string | undefined): unknown {
    if (error instanceof NemoError) return error;
    if (signal?.aborted && signal.reason instanceof OwnTimeout) {
      return new NemoError("timeout", signal.reason.message, { cause: error });
    }
    if (signal?.aborted) return signal.reason;
    const source = findSourceError(error);
    if (source) return source;
    const code = (error as { code?: unknown } | undefined)?.code;
    const detail = error instanceof Error ? error.message : String(error);
    const message = redact(`${where}: ${detail}`, token);
    if (typeof code === "string" && NETWORK_TIMEOUT_CODES.has(code)) return new NemoError("timeout", message, { cause: error });
    return new NemoError("network", message, { cause: error });
  }
}

/**
 * A string's UTF-8 bytes in memory of their own. undici keeps a request's body until the answer's
 * body ends, minutes for an event stream, and turns a string body into a Buffer from Node's shared
 * 8 KB pool: each open stream's few hundred bytes kept a whole slab alive, with whatever else had
 * been cut from it (about 0.7 KB per open turn, heap snapshots of 2,000).
 */
function unpooled(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/**
 * An exchange without a total limit (an event stream, which keeps its own): the caller's signal
 * reaches undici through an AbortRelay. One small object with its code on the prototype, no
 * closures: an open stream keeps it for minutes, and a worker holds ten thousand.
 */
class UntimedExchange implements Exchange {
  readonly signal: AbortRelay | undefined;
  private readonly method: string;
  private readonly path: string;

  constructor(
    private readonly http: NemoHttp,
    outer: AbortSignal | undefined,
    spec: CallSpec,
    private readonly token: string | undefined,
  ) {
    this.signal = outer ? new AbortRelay(outer) : undefined;
    // The caller's strings, not a message made for each request: it is made only on a failure.
    this.method = spec.method;
    this.path = spec.path;
  }

  fail(error: unknown): unknown {
    return this.http.mapFailure(error, this.signal, `${this.method} ${this.http.url(this.path).pathname}`, this.token);
  }

  done(): void {
    this.signal?.detach();
  }
}

/** An exchange with a total limit: a controller of its own that the caller's signal also aborts. */
class TimedExchange implements Exchange {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onOuterAbort: () => void;

  constructor(
    private readonly http: NemoHttp,
    private readonly outer: AbortSignal | undefined,
    timeoutMs: number,
    private readonly where: string,
    private readonly token: string | undefined,
  ) {
    const controller = this.controller;
    this.onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", this.onOuterAbort, { once: true });
    this.timer = setTimeout(() => controller.abort(new OwnTimeout(`${where} took longer than ${timeoutMs} ms`)), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fail(error: unknown): unknown {
    return this.http.mapFailure(error, this.controller.signal, this.where, this.token);
  }

  done(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener("abort", this.onOuterAbort);
  }
}

/**
 * undici types its signal as an AbortSignal or a whole EventEmitter, but uses only `aborted`,
 * `reason`, `on`/`once` and `removeListener` of an EventEmitter-style one (api/api-request.js,
 * core/util.js addAbortListener), which is what AbortRelay has; test/nemo/stream-abort.test.ts aborts
 * streams through it.
 */
function asUndiciSignal(signal: RequestSignal): Dispatcher.RequestOptions["signal"] {
  return signal instanceof AbortRelay ? (signal as unknown as EventEmitter) : signal;
}

function findSourceError(error: unknown): UploadSourceError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (current instanceof UploadSourceError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Closes a body nobody will read. undici reports destroying an unfinished body as an 'error'
 * event; with nobody listening, that would crash the process.
 */
export function discardBody(body: Readable): void {
  if (body.destroyed) return;
  body.on("error", () => undefined);
  body.destroy();
}

/** Reads a body as UTF-8 text, up to `max` bytes; beyond it, cut (`clip`) or fail. */
export async function readText(body: Readable, max: number, clip = false): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      discardBody(body);
      if (clip) break;
      throw new NemoError("bad_response", `the answer is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function redact(text: string, token: string | undefined): string {
  const withoutToken = token && token.length > 0 ? text.split(token).join("[redacted]") : text;
  return scrubSecrets(withoutToken);
}

/** The same error with any token (ours or one the backend echoed) cut from its message. */
export function scrubbed(error: NemoError, token: string | undefined): NemoError {
  const message = redact(error.message, token);
  if (message === error.message) return error;
  return new NemoError(error.code, message, {
    status: error.status,
    backendCode: error.backendCode,
    bindId: error.bindId,
  });
}
