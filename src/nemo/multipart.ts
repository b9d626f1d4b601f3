import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { UploadSource } from "./types.js";

/**
 * A multipart/form-data body streamed straight from each source: the file's chunks pass through as
 * they are read, with backpressure from the socket, so a 500 MB upload uses the memory of a few
 * chunks. Nothing is buffered. When every source knows its size the exact length is computed, so the
 * request carries a Content-Length (some gateways refuse chunked uploads); otherwise it is chunked.
 */

export interface MultipartBody {
  contentType: string;
  /** Set when every source declared its size. */
  contentLength: number | undefined;
  /** Opens each source in turn as the body is consumed; call once per request attempt. */
  stream: () => AsyncIterable<Uint8Array>;
}

const CRLF = "\r\n";

/** Marks errors of a source stream, so the client rethrows them as they are instead of as network errors. */
export class UploadSourceError extends Error {
  override readonly name = "UploadSourceError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Quotes a file name for Content-Disposition as browsers do (WHATWG: `"` → %22, CR/LF → %0D/%0A). */
export function quoteFileName(name: string): string {
  return name.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function partHeader(boundary: string, field: string, source: UploadSource): Buffer {
  const type = source.contentType ?? "application/octet-stream";
  return Buffer.from(
    `--${boundary}${CRLF}` +
      `Content-Disposition: form-data; name="${field}"; filename="${quoteFileName(source.fileName)}"${CRLF}` +
      `Content-Type: ${type.replace(/[\r\n]/g, "")}${CRLF}${CRLF}`,
    "utf8",
  );
}

export function multipartBody(sources: UploadSource[], field = "files"): MultipartBody {
  const boundary = `----NemoBoundary${randomBytes(12).toString("hex")}`;
  const headers = sources.map((source) => partHeader(boundary, field, source));
  const closing = Buffer.from(`--${boundary}--${CRLF}`, "utf8");
  const separator = Buffer.from(CRLF, "utf8");

  let contentLength: number | undefined = closing.length;
  for (const [i, source] of sources.entries()) {
    if (source.size === undefined || contentLength === undefined) {
      contentLength = undefined;
      break;
    }
    contentLength += (headers[i]?.length ?? 0) + source.size + separator.length;
  }

  async function* stream(): AsyncGenerator<Uint8Array> {
    for (const [i, source] of sources.entries()) {
      yield headers[i] ?? Buffer.alloc(0);
      let readable: Readable;
      try {
        readable = await source.open();
      } catch (cause) {
        throw new UploadSourceError(`could not open ${source.fileName}`, { cause });
      }
      let sent = 0;
      try {
        for await (const chunk of readable as AsyncIterable<Buffer | string>) {
          const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
          sent += bytes.length;
          yield bytes;
        }
      } catch (cause) {
        throw new UploadSourceError(`reading ${source.fileName} failed`, { cause });
      } finally {
        // A consumer that stops early (the request failed) must not leave the file open.
        readable.destroy();
      }
      if (source.size !== undefined && sent !== source.size) {
        throw new UploadSourceError(`${source.fileName} gave ${sent} bytes, but its size was declared as ${source.size}`);
      }
      yield separator;
    }
    yield closing;
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, contentLength, stream };
}
