import { createParser, type EventSourceParser, type ParseError } from "eventsource-parser";

/**
 * The SSE framing of `/run_sse` over eventsource-parser: `data:` frames, `:` comment lines (heartbeats),
 * and a cap on one frame's size. A frame beyond the cap is dropped and reported, and reading goes on
 * with the next frame, so one broken or hostile stream cannot grow a process's memory.
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

export interface FrameReader {
  feed: (text: string) => void;
  /** The connection closed: a last frame that lacks its blank line still counts. */
  end: () => void;
}

export function createFrameReader(handlers: FrameHandlers, maxFrameChars = MAX_FRAME_CHARS): FrameReader {
  let overflowed = false;
  const parser: EventSourceParser = createParser({
    maxBufferSize: maxFrameChars,
    onEvent: (message) => handlers.onData(message.data),
    onComment: () => handlers.onComment(),
    onError: (error: ParseError) => {
      // Unknown fields (`event:`-less junk lines) are skipped, as the SSE standard says.
      if (error.type !== "max-buffer-size-exceeded") return;
      overflowed = true;
      handlers.onOverflow();
    },
  });
  return {
    feed(text) {
      parser.feed(text);
      if (overflowed) {
        // The parser stops after an overflow; the rest of that frame is read as junk lines and skipped.
        parser.reset();
        overflowed = false;
      }
    },
    end() {
      this.feed("\n\n");
    },
  };
}
