import { open, rename, rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import { ChatError, NemoError, type RenderDownloadErrorCode } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { errorFromAnswer } from "./error-map.js";
import { PrivateAddressError } from "./guarded-agent.js";
import { discardBody, readText, type NemoHttp } from "./http.js";
import type { OutputUrlPolicy } from "./output-policy.js";
import type { DownloadRequest, DownloadResult, DownloadSource, NemoAuth } from "./types.js";

export type { DownloadRequest, DownloadResult, DownloadSource, ResumeInfo } from "./types.js";

/**
 * A finished render, fetched to a file: resumable, bounded and checked.
 *
 * - Sources: the output URL first (only when the policy allows it, and never with the token), then
 *   the authenticated download endpoint of the API. Redirects are followed by hand so each hop is
 *   judged by the same policy; the token never leaves the API's origin.
 * - Bytes go to `<path>.part`. A transfer that broke off is resumed with `Range` (and `If-Range`
 *   with the validator the server gave) on the next attempt; a server that ignores ranges sends the
 *   whole file again, which is detected and handled.
 * - What arrives is checked against `Content-Length` / `Content-Range`; a short body is a
 *   transient failure whose bytes are kept for the resume.
 * - At most `maxBytes` are written: past it the transfer stops ("too-large"), so a 200 MB answer
 *   never fills the disk for a chat that takes 50 MB.
 * - The bytes must start like an MP4 (`ftyp` at offset 4), or they are thrown away.
 */

export type DownloadErrorCode = RenderDownloadErrorCode;

/** A download that did not finish; `transient` ones are worth trying again later. */
export class DownloadError extends ChatError {
  override readonly name = "DownloadError";
  declare readonly code: DownloadErrorCode;
  readonly transient: boolean;
  readonly status: number | undefined;
  constructor(code: DownloadErrorCode, message: string, details: { transient: boolean; status?: number; cause?: unknown }) {
    super(code, message, { cause: details.cause });
    this.transient = details.transient;
    this.status = details.status;
  }
}

export interface DownloaderDeps {
  http: NemoHttp;
  policy: OutputUrlPolicy;
  /** The guarded Agent (guarded-agent.ts). */
  dispatcher: Dispatcher;
  /** Idle limits for headers and body: a stalled transfer fails, a slow one does not. */
  idleTimeoutMs: number;
  logger?: Logger;
}

const MAX_REDIRECTS = 5;
/** Partial answers followed in one attempt before the rest is left for the next. */
const MAX_RANGE_ROUNDS = 32;
const TRANSIENT_NEMO_CODES = new Set(["network", "timeout", "server", "rate_limited"]);
const FTYP = Buffer.from("ftyp", "latin1");

export function downloadPaths(path: string): { file: string; part: string } {
  return { file: path, part: `${path}.part` };
}

/** Whether a file starts like an MP4 (ISO BMFF: a box size, then `ftyp`). */
export function startsLikeMp4(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(4, 8).equals(FTYP);
}

export async function downloadRender(deps: DownloaderDeps, auth: NemoAuth, req: DownloadRequest): Promise<DownloadResult> {
  const logger = deps.logger ?? silentLogger;
  const sources: Array<{ kind: DownloadSource; url: URL }> = [];
  if (req.outputUrl !== undefined) {
    const verdict = deps.policy.check(req.outputUrl);
    if (verdict.ok) sources.push({ kind: "url", url: verdict.url });
    // The host only: a signed URL's query is nobody's business.
    else logger.warn({ renderId: req.renderId, reason: verdict.reason }, "nemo: output URL refused; using the download endpoint");
  }
  sources.push({ kind: "api", url: deps.http.url(`/api/render/proxy/${encodeURIComponent(req.renderId)}/download`) });
  // A broken-off transfer continues from where it was, so its source goes first.
  if (req.resume?.source === "api") sources.reverse();

  let transient: DownloadError | undefined;
  let last: DownloadError | undefined;
  for (const source of sources) {
    try {
      return await fetchSource(deps, auth, source, req);
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason;
      const failure = asDownloadError(error);
      logger.warn({ renderId: req.renderId, source: source.kind, code: failure.code, status: failure.status, transient: failure.transient }, "nemo: render download failed");
      last = failure;
      if (failure.transient) transient ??= failure;
    }
  }
  // Worth another try later when any source failed for a passing reason.
  throw transient ?? last ?? new DownloadError("download_failed", "no source for the render", { transient: false });
}

interface OpenAnswer {
  body: Readable;
  /** Where the bytes of this answer start in the file. */
  start: number;
  /** The whole file's size, when known. */
  total: number | undefined;
  /** This answer's body length, when known. */
  length: number | undefined;
  validator: string | undefined;
}

async function fetchSource(deps: DownloaderDeps, auth: NemoAuth, source: { kind: DownloadSource; url: URL }, req: DownloadRequest): Promise<DownloadResult> {
  const { part } = downloadPaths(req.path);
  const same = req.resume?.source === source.kind;
  let have = same ? await sizeOf(part) : 0;
  let validator = same ? req.resume?.validator : undefined;
  let total = same ? req.resume?.total : undefined;
  // Another source's partial file stays until this one answers (its first write replaces it):
  // if this source fails before that, the other's bytes are still there to resume.

  for (let round = 0; round < MAX_RANGE_ROUNDS; round += 1) {
    let answer = await openSource(deps, auth, source, have, validator, req.signal);
    if (answer === "restart") {
      // 416: the partial file does not fit what the server has now: start over.
      have = 0;
      validator = undefined;
      await rm(part, { force: true });
      answer = await openSource(deps, auth, source, 0, undefined, req.signal);
      if (answer === "restart") throw new DownloadError("download_failed", "the server refused the whole file as a range", { transient: true, status: 416 });
    }
    if (answer.start !== have) {
      // The server sent the file from its start (it ignores ranges, or the file changed).
      have = 0;
    }
    total = answer.total ?? (answer.start === 0 ? answer.length : undefined) ?? total;
    validator = answer.validator ?? validator;
    req.onResume?.({ source: source.kind, ...(validator === undefined ? {} : { validator }), ...(total === undefined ? {} : { total }) });
    if (total !== undefined && total > req.maxBytes) {
      discardBody(answer.body);
      await rm(part, { force: true });
      return { kind: "too-large", size: total };
    }
    const written = await writeBody(answer, part, req.maxBytes, req.signal);
    if (written === "too-large") {
      await rm(part, { force: true });
      return { kind: "too-large" };
    }
    if (written === "not-video") {
      await rm(part, { force: true });
      throw new DownloadError("download_not_video", "the render's bytes are not an MP4", { transient: false });
    }
    if (answer.length !== undefined && written !== answer.length) {
      throw new DownloadError("download_truncated", `the answer ended after ${written} of ${answer.length} bytes`, { transient: true });
    }
    have = answer.start + written;
    if (total === undefined || have >= total) break;
    // A server may answer a range with fewer bytes than asked: ask for the rest.
  }

  const size = await sizeOf(part);
  if (total !== undefined && size !== total) {
    throw new DownloadError("download_truncated", `${size} of ${total} bytes arrived`, { transient: true });
  }
  if (!startsLikeMp4(await headOf(part, 12))) {
    await rm(part, { force: true });
    throw new DownloadError("download_not_video", "the render's bytes are not an MP4", { transient: false });
  }
  await rename(part, req.path);
  return { kind: "done", size, source: source.kind };
}

async function openSource(
  deps: DownloaderDeps,
  auth: NemoAuth,
  source: { kind: DownloadSource; url: URL },
  have: number,
  validator: string | undefined,
  signal: AbortSignal | undefined,
): Promise<OpenAnswer | "restart"> {
  let url = source.url;
  // The token goes to the API's download endpoint (and same-origin redirects), never further.
  let withToken = source.kind === "api";
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const verdict = deps.policy.check(url);
    if (!verdict.ok) throw new DownloadError("download_refused", `refused: ${verdict.reason}`, { transient: false });
    withToken &&= deps.policy.isApi(url);
    const headers: Record<string, string> = withToken ? deps.http.headers({ method: "GET", path: url.href, auth }) : {};
    headers.accept = "video/mp4, */*";
    if (have > 0) {
      headers.range = `bytes=${have}-`;
      if (validator !== undefined) headers["if-range"] = validator;
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: "GET",
        headers,
        dispatcher: deps.dispatcher,
        signal,
        headersTimeout: deps.idleTimeoutMs,
        bodyTimeout: deps.idleTimeoutMs,
      });
    } catch (error) {
      throw networkFailure(error, signal);
    }
    const status = response.statusCode;
    const location = header(response.headers, "location");
    if (status >= 300 && status < 400 && location !== undefined) {
      discardBody(response.body);
      url = new URL(location, url);
      continue;
    }
    if (status === 416 && have > 0) {
      discardBody(response.body);
      return "restart";
    }
    if (status !== 200 && status !== 206) {
      const text = await readText(response.body, 64 * 1024, true).catch(() => "");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const error = errorFromAnswer({ status, body: parsed, text, where: `GET ${source.kind === "api" ? url.pathname : url.host}` });
      throw new DownloadError("download_failed", error.message, { transient: isTransientNemo(error) || status === 408, status, cause: error });
    }
    const length = numberOf(header(response.headers, "content-length"));
    const etag = header(response.headers, "etag");
    const lastModified = header(response.headers, "last-modified");
    const strongValidator = etag !== undefined && !etag.startsWith("W/") ? etag : lastModified;
    if (status === 200) return { body: response.body, start: 0, total: length, length, validator: strongValidator };
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(header(response.headers, "content-range") ?? "");
    if (!range) {
      discardBody(response.body);
      throw new DownloadError("download_failed", "a partial answer without a readable Content-Range", { transient: true, status });
    }
    const start = Number(range[1]);
    const end = Number(range[2]);
    const total = range[3] === "*" ? undefined : Number(range[3]);
    if (start !== have) {
      // Not the part asked for: start over rather than stitch a file together wrongly.
      discardBody(response.body);
      return "restart";
    }
    return { body: response.body, start, total, length: length ?? end - start + 1, validator: strongValidator };
  }
  throw new DownloadError("download_refused", "too many redirects", { transient: false });
}

/**
 * Writes the body at its offset; the bytes written, or why it stopped. Each chunk is on disk
 * before the next is read, so the bytes that came before a broken connection are kept to resume.
 */
async function writeBody(answer: OpenAnswer, part: string, maxBytes: number, signal: AbortSignal | undefined): Promise<number | "too-large" | "not-video"> {
  let written = 0;
  let head = Buffer.alloc(0);
  const file = await open(part, answer.start === 0 ? "w" : "a");
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      if (answer.start + written + chunk.length > maxBytes) {
        discardBody(answer.body);
        return "too-large";
      }
      if (answer.start === 0 && head.length < 8) {
        head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
        if (head.length >= 8 && !startsLikeMp4(head)) {
          discardBody(answer.body);
          return "not-video";
        }
      }
      await file.write(chunk);
      written += chunk.length;
    }
  } catch (error) {
    throw networkFailure(error, signal);
  } finally {
    await file.close();
  }
  return written;
}

function networkFailure(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof DownloadError) return error;
  if (findCause(error, (e) => e instanceof PrivateAddressError)) {
    return new DownloadError("download_refused", "refused: the host resolves to a non-public address", { transient: false, cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new DownloadError("download_failed", `the transfer failed: ${detail}`, { transient: true, cause: error });
}

function asDownloadError(error: unknown): DownloadError {
  if (error instanceof DownloadError) return error;
  if (error instanceof NemoError) return new DownloadError("download_failed", error.message, { transient: isTransientNemo(error), status: error.status, cause: error });
  return new DownloadError("download_failed", error instanceof Error ? error.message : String(error), { transient: true, cause: error });
}

function isTransientNemo(error: NemoError): boolean {
  return TRANSIENT_NEMO_CODES.has(error.code);
}

function findCause(error: unknown, test: (e: unknown) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth += 1) {
    if (test(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function headOf(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
