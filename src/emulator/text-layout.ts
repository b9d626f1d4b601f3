/**
 * Fits a title or a caption into the frame: ffmpeg's drawtext neither wraps nor shrinks text, so the
 * lines are broken here (between words, or between any two Chinese characters) and the size lowered
 * until the text fits the width in a few lines.
 */

export interface TextBox {
  /** The text with its line breaks. */
  lines: string[];
  fontSize: number;
}

const MIN_SIZE = 12;
/** Width of a glyph in ems: CJK and full-width forms are square, the rest about half as wide. */
function glyphEm(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if ((code >= 0x2e80 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xffef)) return 1;
  if (ch === " ") return 0.28;
  return /[A-Z0-9MW@%&]/.test(ch) ? 0.64 : 0.52;
}

export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) em += glyphEm(ch);
  return em * size;
}

/** Pieces a line may break between: words, and each CJK character on its own. */
function pieces(text: string): string[] {
  return text.match(/[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef][，。！？、：；）」』”]?|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+|\s+/g) ?? [];
}

function wrap(text: string, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const piece of pieces(text)) {
    const candidate = line + piece;
    if (line.trim() !== "" && textWidth(candidate.trimEnd(), size) > maxWidth) {
      lines.push(line.trim());
      line = piece.trimStart();
    } else {
      line = candidate;
    }
  }
  if (line.trim() !== "") lines.push(line.trim());
  return lines;
}

/** The largest size (from `size` down) at which the text fits `maxWidth` in at most `maxLines` lines. */
export function fitText(text: string, size: number, maxWidth: number, maxLines: number): TextBox {
  const clean = text.replace(/\s+/g, " ").trim();
  for (let s = Math.round(size); s >= MIN_SIZE; s -= 1) {
    const lines = wrap(clean, s, maxWidth);
    if (lines.length <= maxLines && lines.every((l) => textWidth(l, s) <= maxWidth)) return { lines, fontSize: s };
  }
  // Too long for the frame even at the smallest size: keep the first lines, mark the cut.
  const lines = wrap(clean, MIN_SIZE, maxWidth).slice(0, maxLines);
  const last = lines.length - 1;
  if (last >= 0) lines[last] = `${lines[last]!.slice(0, -1)}…`;
  return { lines, fontSize: MIN_SIZE };
}
