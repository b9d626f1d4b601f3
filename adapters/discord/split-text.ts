/** Discord refuses messages over 2000 characters. */
export const MAX_MESSAGE_LENGTH = 2000;

/**
 * Splits text into pieces Discord accepts, at the last line break (else space) before the limit so
 * sentences stay whole where they can. Counts UTF-16 units, as Discord does.
 */
export function splitText(text: string, limit = MAX_MESSAGE_LENGTH): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf("\n", limit);
    if (cut < limit / 2) cut = rest.lastIndexOf(" ", limit);
    if (cut < limit / 2) cut = limit;
    // Never cut a surrogate pair in half.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^[\n ]/, "");
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

/** A status line must fit one message: cut with an ellipsis. */
export function fitOne(text: string, limit = MAX_MESSAGE_LENGTH): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
