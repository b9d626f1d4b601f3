/**
 * The SSE framing of `/run_sse`: `data:` frames, `:` comment lines (heartbeats), and a cap on one
 * frame's size. A frame beyond the cap is dropped and reported, and reading goes on with the next
 * frame, so one broken or hostile stream cannot grow a process's memory.
 *
 * One small object per stream, its state in fields and its code on the prototype: a worker holds
 * ten thousand open streams, and eventsource-parser (which this reads exactly as, see
 * test/nemo/sse-frames.test.ts) keeps a dozen closures and a context per parser, plus a
 * TextDecoder in front of it: about 1.2 KB of heap per open stream, against about 0.1 KB here. It
 * decodes the bytes too: UTF-8 as TextDecoder does, a character split between two chunks waiting
 * for its rest.
 */

/** A frame beyond this many characters is dropped, so one stream's memory stays small. */
export const MAX_FRAME_CHARS = 8 * 1024 * 1024;

export interface FrameHandlers {
  /** One complete `data:` frame (several `data:` lines joined by newlines). */
  onData: (data: string) => void;
  /** A `:` comment line: the gateway's heartbeat. */
  onComment: () => void;
  /** A frame was longer than the cap and was dropped. */
  onOverflow: () => void;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const COLON = 58;

export class FrameReader {
  /** The text after the last line end: a line not yet complete. */
  private pending = "";
  /** The `data:` lines of the frame being read, joined by newlines. */
  private data = "";
  private dataLines = 0;
  /** The next text is the first (since the start or an overflow): a UTF-8 BOM read as Latin-1 is skipped. */
  private firstText = true;
  /** No character decoded yet: a leading U+FEFF is the byte order mark, not text. */
  private firstChar = true;
  /** The first bytes of a UTF-8 character whose rest is in the next chunk. */
  private carry: Buffer | undefined = undefined;

  constructor(
    private readonly handlers: FrameHandlers,
    private readonly maxFrameChars = MAX_FRAME_CHARS,
  ) {}

  /** Bytes off the connection. */
  feedBytes(chunk: Buffer): void {
    let bytes = chunk;
    if (this.carry !== undefined) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const whole = completeUtf8(bytes);
    if (whole < bytes.length) {
      // A copy of its own: the carry must keep neither the chunk's memory nor a shared pool's 8 KB slab.
      const carry = Buffer.allocUnsafeSlow(bytes.length - whole);
      bytes.copy(carry, 0, whole);
      this.carry = carry;
    }
    this.feed(this.decoded(bytes.toString("utf8", 0, whole)));
  }

  /** The connection closed: bytes of a character never completed are U+FFFD, and the last frame counts. */
  endBytes(): void {
    const carry = this.carry;
    this.carry = undefined;
    this.feed(carry === undefined ? "" : this.decoded(carry.toString("utf8")));
    this.end();
  }

  /** Text as it comes (in any slices). */
  feed(chunk: string): void {
    let text = chunk;
    if (this.firstText) {
      this.firstText = false;
      if (text.charCodeAt(0) === 0xef && text.charCodeAt(1) === 0xbb && text.charCodeAt(2) === 0xbf) text = text.slice(3);
    }
    if (this.pending !== "") {
      if (text.indexOf("\n") === -1 && text.indexOf("\r") === -1) {
        this.pending += text;
        this.checkSize();
        return;
      }
      text = this.pending + text;
      this.pending = "";
    }
    this.pending = this.lines(text);
    this.checkSize();
  }

  /** The connection closed: a last frame that lacks its blank line still counts. */
  end(): void {
    this.feed("\n\n");
  }

  private decoded(text: string): string {
    if (!this.firstChar || text === "") return text;
    this.firstChar = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** Reads every complete line of `text`; returns the rest. A CR at the very end may be half of a CRLF. */
  private lines(text: string): string {
    const length = text.length;
    let at = 0;
    // Each found once and looked for again only once passed: a chunk of many lines is read in one pass.
    let lf = text.indexOf("\n");
    let cr = text.indexOf("\r");
    while (at < length) {
      if (lf !== -1 && lf < at) lf = text.indexOf("\n", at);
      if (cr !== -1 && cr < at) cr = text.indexOf("\r", at);
      const end = cr === -1 ? lf : lf === -1 ? (cr === length - 1 ? -1 : cr) : Math.min(cr, lf);
      if (end === -1) break;
      this.line(text, at, end);
      at = end + 1;
      if (text.charCodeAt(end) === CR && text.charCodeAt(at) === LF) at += 1;
    }
    return text.slice(at);
  }

  /** One line, from `start` to `end` (its line end) in `text`. */
  private line(text: string, start: number, end: number): void {
    if (start === end) {
      // A blank line ends the frame.
      if (this.dataLines > 0) {
        const data = this.data;
        this.data = "";
        this.dataLines = 0;
        this.handlers.onData(data);
      }
      return;
    }
    if (text.charCodeAt(start) === COLON) {
      this.handlers.onComment();
      return;
    }
    // Only `data` (`data: value`, or `data` alone: an empty line of data) matters here: `event`,
    // `id`, `retry` and unknown fields are skipped.
    if (end - start < 4 || !text.startsWith("data", start)) return;
    let valueStart = end;
    if (end - start > 4) {
      if (text.charCodeAt(start + 4) !== COLON) return;
      valueStart = text.charCodeAt(start + 5) === SPACE && start + 5 < end ? start + 6 : start + 5;
    }
    const value = text.slice(valueStart, end);
    this.data = this.dataLines === 0 ? value : `${this.data}\n${value}`;
    this.dataLines += 1;
  }

  /** Past the cap: the frame so far is dropped, and reading starts afresh with what comes next. */
  private checkSize(): void {
    if (this.pending.length + this.data.length <= this.maxFrameChars) return;
    this.pending = "";
    this.data = "";
    this.dataLines = 0;
    this.firstText = true;
    this.handlers.onOverflow();
  }
}

export function createFrameReader(handlers: FrameHandlers, maxFrameChars = MAX_FRAME_CHARS): FrameReader {
  return new FrameReader(handlers, maxFrameChars);
}

/**
 * How many leading bytes of `bytes` decode now: all of them unless they end in the first bytes of a
 * character that may still be completed (a lead byte and the continuation bytes it allows so far),
 * as TextDecoder holds them back in streaming mode. Bytes that can no longer form a character are
 * decoded (as U+FFFD) at once, as TextDecoder does.
 */
export function completeUtf8(bytes: Buffer): number {
  const length = bytes.length;
  // A character is at most 4 bytes: only the last 3 can be an unfinished one.
  for (let start = Math.max(0, length - 3); start < length; start += 1) {
    const lead = bytes[start] ?? 0;
    const need = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (need === 0 || length - start >= need) continue;
    if (validPrefix(bytes, start, lead)) return start;
  }
  return length;
}

/** Whether the bytes from `start` to the end are the beginning of a well-formed character led by `lead`. */
function validPrefix(bytes: Buffer, start: number, lead: number): boolean {
  for (let i = start + 1; i < bytes.length; i += 1) {
    const byte = bytes[i] ?? 0;
    // The second byte's range depends on the lead (no overlong forms, no surrogates, nothing past U+10FFFF).
    const low = i === start + 1 ? (lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80) : 0x80;
    const high = i === start + 1 ? (lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf) : 0xbf;
    if (byte < low || byte > high) return false;
  }
  return true;
}
