/**
 * Trimming without a regex. `/[ \t]+$/` and `/\/+$/` look harmless but are quadratic on text with
 * long runs that are not at the end ("x   …   y"): the engine retries the run from each of its
 * characters. These loops look at each character once.
 */

/** `text` without the characters of `chars` at its end. */
export function trimEndOf(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** `text` without the characters of `chars` at its start. */
export function trimStartOf(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text.charAt(start))) start++;
  return start === 0 ? text : text.slice(start);
}

/** The whitespace at the end of `text` (the `\s` of a regex, which is also what `trimEnd` removes). */
export function trailingWhitespace(text: string): string {
  return text.slice(text.trimEnd().length);
}
