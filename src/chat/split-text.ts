/**
 * Chat platforms cap a message's length (Telegram 4096, a caption 1024, Discord 2000), counted in
 * UTF-16 code units as JavaScript strings are. Each adapter passes its own limit.
 */

/**
 * Splits text into chunks of at most `limit`, breaking at a paragraph, a line or a space when one
 * is near the end of the chunk, and never inside a surrogate pair (an emoji stays whole). Never an
 * empty list: "" is one empty chunk.
 */
export function splitText(text: string, limit: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = bestBreak(rest, limit);
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    chunks.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^[ \n]+/, "");
  }
  if (rest.length > 0 || chunks.length === 0) chunks.push(rest);
  return chunks;
}

function bestBreak(text: string, limit: number): number {
  const window = text.slice(0, limit);
  // Only break early when it keeps at least half the chunk; else a hard cut wastes less.
  const floor = Math.floor(limit / 2);
  for (const separator of ["\n\n", "\n", " "]) {
    const at = window.lastIndexOf(separator);
    if (at >= floor) return at + separator.length;
  }
  return limit;
}

/** One message at most, for a status line edited in place: cut with an ellipsis, never mid-emoji. */
export function fitOne(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let cut = limit - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}
