import busboy from "busboy";
import { once } from "node:events";
import type { Readable } from "node:stream";

/**
 * multipart/form-data read with busboy, streaming: each part's bytes go to a sink as they arrive and
 * the body is read no faster than the sinks take them, so a 500 MB upload never sits in memory.
 * busboy reads the lenient headers some clients write (grammY: `content-disposition:form-data;
 * name="video";filename=x`, no spaces, unquoted); an unquoted file name must be a token (no spaces),
 * as RFC 7578 asks, or the part is skipped.
 */

export interface PartHeaders {
  name: string;
  /** Set for a file part (even when empty), undefined for a plain field. */
  filename: string | undefined;
  contentType: string | undefined;
}

export interface PartSink {
  /** Resolves when the bytes are taken (for back-pressure). */
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

export class MultipartError extends Error {}

/** A plain field is text (a caption, JSON): more than this is cut by busboy, as a form field should not carry files. */
const MAX_FIELD_BYTES = 1024 * 1024;

/**
 * Feeds `body` to busboy and each part, in order, to the sink `onPart` gives for it. Rejects with
 * what a sink or `onPart` threw (and stops reading the body), or with a MultipartError for a body
 * that is not multipart or ends before its closing boundary. The body is not destroyed: the caller
 * may still answer the request.
 */
export async function readMultipart(
  body: AsyncIterable<Buffer> | Iterable<Buffer>,
  contentType: string | undefined,
  onPart: (part: PartHeaders) => PartSink | Promise<PartSink>,
): Promise<void> {
  let parser: busboy.Busboy;
  try {
    // utf8: busboy reads a plain (not `filename*=`) name as latin1 unless told, and clients send UTF-8.
    parser = busboy({ headers: { "content-type": contentType }, defParamCharset: "utf8", limits: { fieldSize: MAX_FIELD_BYTES } });
  } catch (error) {
    throw new MultipartError(error instanceof Error ? error.message : "not multipart/form-data");
  }
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort();
  };
  // Parts are handled one after another, in the order busboy finds them.
  let work = Promise.resolve();
  const then = (task: () => Promise<void>) => {
    work = work.then(() => (failure ? undefined : task())).catch(fail);
  };
  parser.on("file", (name, stream, info) => {
    then(async () => {
      const sink = await onPart({ name, filename: info.filename ?? "", contentType: info.mimeType });
      for await (const chunk of partBytes(stream)) await sink.write(chunk);
      await sink.end();
    });
  });
  parser.on("field", (name, value, info) => {
    then(async () => {
      const sink = await onPart({ name, filename: undefined, contentType: info.mimeType });
      await sink.write(Buffer.from(value, "utf8"));
      await sink.end();
    });
  });
  const closed = once(parser, "close", { signal: stop.signal });
  closed.catch(() => undefined); // awaited below, unless a part failed first
  try {
    for await (const chunk of body) {
      if (failure) break;
      if (!parser.write(chunk)) await once(parser, "drain", { signal: stop.signal });
    }
    if (!failure) {
      parser.end();
      await closed;
    }
  } catch (error) {
    if (!failure) fail(error instanceof Error && error.name !== "AbortError" ? new MultipartError(error.message) : error);
  }
  await work;
  if (failure) throw failure.error;
}

/** A part's bytes; the part stream's own failure (the body ended mid-part) is the body's fault. */
async function* partBytes(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw new MultipartError(error instanceof Error ? error.message : "malformed multipart body");
  }
}

/** The boundary of a multipart content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const match = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}
