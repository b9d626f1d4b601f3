/**
 * A streaming multipart/form-data parser: it scans for the boundary chunk by chunk and hands each
 * part's bytes to a sink as they arrive, so a 500 MB upload never sits in memory. It reads lenient
 * headers (`content-disposition:form-data;name="video";filename=x` without spaces or quotes), as
 * some clients (grammY) write them.
 */

export interface PartHeaders {
  /** Lower-cased header names. */
  headers: Record<string, string>;
  name: string | undefined;
  filename: string | undefined;
  contentType: string | undefined;
}

export interface PartSink {
  /** Resolves when the bytes are taken (for back-pressure). */
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

export class MultipartError extends Error {}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

type State = "preamble" | "afterDelimiter" | "headers" | "body" | "done";

export class MultipartParser {
  private readonly delimiter: Buffer;
  // The stream is read as if it began with CRLF, so the first boundary matches like every other.
  private buffer: Buffer = Buffer.from("\r\n");
  private state: State = "preamble";
  private sink: PartSink | undefined;

  constructor(
    boundary: string,
    private readonly onPart: (part: PartHeaders) => PartSink | Promise<PartSink>,
  ) {
    if (!boundary || boundary.length > 200) throw new MultipartError("bad multipart boundary");
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  get finished(): boolean {
    return this.state === "done";
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.state === "done") return; // the epilogue is ignored
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const progressed = await this.step();
      if (!progressed) return;
    }
  }

  async end(): Promise<void> {
    if (this.state !== "done") throw new MultipartError("multipart body ended before its closing boundary");
  }

  /** Does one unit of work; false when more bytes are needed. */
  private async step(): Promise<boolean> {
    const buf = this.buffer;
    switch (this.state) {
      case "preamble": {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          this.keepTail(this.delimiter.length - 1);
          return false;
        }
        this.buffer = buf.subarray(at + this.delimiter.length);
        this.state = "afterDelimiter";
        return true;
      }
      case "afterDelimiter": {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.state = "done";
          this.buffer = Buffer.alloc(0);
          return false;
        }
        // Transport padding (spaces, tabs) may sit before the CRLF.
        const eol = buf.indexOf(CRLF);
        if (eol < 0) {
          if (buf.length > 1024) throw new MultipartError("malformed boundary line");
          return false;
        }
        this.buffer = buf.subarray(eol + 2);
        this.state = "headers";
        return true;
      }
      case "headers": {
        let headerText: string;
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          headerText = "";
          this.buffer = buf.subarray(2);
        } else {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) {
            if (buf.length > MAX_HEADER_BYTES) throw new MultipartError("part headers too large");
            return false;
          }
          headerText = buf.subarray(0, end).toString("utf8");
          this.buffer = buf.subarray(end + 4);
        }
        this.sink = await this.onPart(parsePartHeaders(headerText));
        this.state = "body";
        return true;
      }
      case "body": {
        const sink = this.sink!;
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Everything but a possible partial delimiter at the end is part data.
          const safe = buf.length - (this.delimiter.length - 1);
          if (safe > 0) {
            await sink.write(buf.subarray(0, safe));
            this.buffer = buf.subarray(safe);
          }
          return false;
        }
        if (at > 0) await sink.write(buf.subarray(0, at));
        await sink.end();
        this.sink = undefined;
        this.buffer = buf.subarray(at + this.delimiter.length);
        this.state = "afterDelimiter";
        return true;
      }
      case "done":
        return false;
    }
  }

  private keepTail(bytes: number): void {
    if (this.buffer.length > bytes) this.buffer = Buffer.from(this.buffer.subarray(this.buffer.length - bytes));
  }
}

export function parsePartHeaders(text: string): PartHeaders {
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const disposition = headers["content-disposition"] ?? "";
  return {
    headers,
    name: dispositionParam(disposition, "name"),
    filename: dispositionFilename(disposition),
    contentType: headers["content-type"],
  };
}

function dispositionParam(disposition: string, key: string): string | undefined {
  // name="a b" | name=ab ; the key must start a parameter (so "filename" never matches "name").
  const re = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i");
  const match = re.exec(disposition);
  if (!match) return undefined;
  const value = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? "").trim();
  return value;
}

function dispositionFilename(disposition: string): string | undefined {
  const extended = dispositionParam(disposition, "filename\\*");
  if (extended) {
    const match = /^[^']*'[^']*'(.*)$/.exec(extended);
    try {
      return decodeURIComponent(match ? match[1]! : extended);
    } catch {
      return extended;
    }
  }
  return dispositionParam(disposition, "filename");
}

/** The boundary of a multipart content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const match = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}
