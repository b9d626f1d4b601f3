/**
 * Words the user wants on screen, taken out of a message before it is read as requests: a title
 * ("add the title Beach Day and calm music" → "Beach Day") and caption lines ("add captions: Hi! |
 * Welcome", or quoted). What is left goes on to be read clause by clause.
 */

export interface Taken<T> {
  value: T;
  /** The message without the words taken (a clause break stands in their place). */
  rest: string;
}

const QUOTED_TITLE = /\btitled?\b[^"“”'‘’「『]{0,40}["“'‘「『]([^"”'’」』]{1,80})["”'’」』]/i;
const ZH_QUOTED_TITLE = /标题[^“"「『]{0,10}[“"「『]([^”"」』]{1,80})[”"」』]/;
const ZH_BARE_TITLE = /标题\s*(?:[：:为是叫]|叫做)\s*([^，。,.!！？?\s]{1,40})/;
const BARE_TITLE = /\b(?:(?:with|add|put|insert)\s+)?(?:(?:a|the|an)\s+)?titled?\b\s*(?:(?::|saying|that says|reading|called|named|as)\s*)?([^,;!?\n]*)/i;
const JOINERS = /(\s+(?:and|then|with|plus|&)\s+)/i;
const TRAILING_PLACE = /\s+(?:at|in|on)\s+(?:the\s+)?(?:start|beginning|begin|top|opening|front)$/i;
const TRAILING_POLITE = /\s*\b(?:please|pls|thanks|thank you)$/i;
const MAX_TITLE = 80;

/**
 * The title the message gives, if any (`marker` stands in its place in the rest). `isEdit` tells whether a piece after "and"/"with" is another
 * request ("and calm music at 30%") rather than more of the title ("Rock and Roll").
 */
export function extractTitle(text: string, isEdit: (piece: string) => boolean, marker = " , "): Taken<string> | undefined {
  const quoted = QUOTED_TITLE.exec(text) ?? ZH_QUOTED_TITLE.exec(text) ?? ZH_BARE_TITLE.exec(text);
  if (quoted?.[1]?.trim()) return { value: quoted[1].trim(), rest: cut(text, quoted.index, quoted.index + quoted[0].length, marker) };

  const bare = BARE_TITLE.exec(text);
  if (!bare) return undefined;
  // A full stop ends the title, a decimal point does not.
  const captured = (bare[1] ?? "").split(/\.(?!\d)/)[0] ?? "";
  if (/^\s*(?:and|then|with|plus|&)\b/i.test(captured)) return undefined;
  const pieces = captured.split(JOINERS);
  let raw = pieces[0] ?? "";
  if (isEdit(raw)) return undefined;
  for (let i = 1; i + 1 < pieces.length; i += 2) {
    const next = pieces[i + 1] ?? "";
    if (isEdit(next)) break;
    raw += `${pieces[i]}${next}`;
  }
  const title = raw.trim().replace(TRAILING_POLITE, "").replace(TRAILING_PLACE, "").trim().slice(0, MAX_TITLE);
  if (!title) return undefined;
  // The capture starts right after "title"; everything up to the end of the title's words goes.
  const captureStart = bare.index + bare[0].length - (bare[1] ?? "").length;
  return { value: title, rest: cut(text, bare.index, captureStart + raw.length, marker) };
}

const QUOTED_CAPTIONS = /\b(?:captions?|subtitles?|subs)\b((?:[^"“”「」\n]{0,20}["“「][^"”」]{1,200}["”」])+)/i;
const ZH_QUOTED_CAPTIONS = /字幕((?:[^“”"「」\n]{0,10}[“"「][^”"」]{1,200}[”"」])+)/;
const SAID_CAPTIONS = /\b(?:captions?|subtitles?|subs)\b\s*(?:saying|that says?|reading|with the (?:text|words)|:|：)\s*([\s\S]+)$/i;
const ZH_SAID_CAPTIONS = /字幕\s*(?:[：:]|内容是|写着|为|是)\s*([\s\S]+)$/;
const MAX_LINES = 50;
const MAX_LINE = 120;

/** The caption lines the message gives, each quoted or one sentence (or `|`-separated piece) of its text. */
export function extractCaptions(text: string, marker = " , "): Taken<string[]> | undefined {
  const quoted = QUOTED_CAPTIONS.exec(text) ?? ZH_QUOTED_CAPTIONS.exec(text);
  if (quoted?.[1]) {
    const lines = [...quoted[1].matchAll(/["“「]([^"”」]{1,200})["”」]/g)].map((m) => (m[1] ?? "").trim()).filter(Boolean);
    if (lines.length > 0) return { value: limit(lines), rest: cut(text, quoted.index, quoted.index + quoted[0].length, marker) };
  }
  const said = SAID_CAPTIONS.exec(text) ?? ZH_SAID_CAPTIONS.exec(text);
  if (said?.[1]) {
    const lines = (said[1].match(/[^.!?。！？|\n]+[.!?。！？]*/g) ?? []).map((l) => l.trim()).filter((l) => /[\p{L}\p{N}]/u.test(l));
    if (lines.length > 0) return { value: limit(lines), rest: cut(text, said.index, text.length, marker) };
  }
  return undefined;
}

function limit(lines: string[]): string[] {
  return lines.slice(0, MAX_LINES).map((l) => l.slice(0, MAX_LINE));
}

function cut(text: string, start: number, end: number, instead: string): string {
  return `${text.slice(0, start)}${instead}${text.slice(end)}`;
}
