import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GlobalFonts } from "@napi-rs/canvas";

/**
 * The picture's one typeface: Noto Sans SC (Latin and Chinese, variable weight), shipped by the npm
 * package @fontsource-variable/noto-sans-sc as ~100 woff2 slices, each covering a unicode range. No
 * system font is assumed.
 *
 * Registering every slice under one family makes Skia search ~100 typefaces for each glyph (about
 * 1 ms per label); so each slice gets a family of its own, is registered the first time a text
 * needs it, and a picture names only the slices its own texts use, in one font list.
 */

const PACKAGE = "@fontsource-variable/noto-sans-sc";

interface Slice {
  family: string;
  file: string;
  ranges: Array<[number, number]>;
  registered: boolean;
}

let slices: Slice[] | undefined;

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${PACKAGE}/package.json`));
}

/** `U+4e00-4e0f,U+4e11` → [[0x4e00, 0x4e0f], [0x4e11, 0x4e11]] */
function parseRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of text.split(",")) {
    const [from, to] = part.trim().replace(/^U\+/i, "").split("-");
    const a = parseInt(from ?? "", 16);
    const b = to === undefined ? a : parseInt(to, 16);
    if (Number.isFinite(a) && Number.isFinite(b)) out.push([a, b]);
  }
  return out;
}

function loadSlices(): Slice[] {
  if (slices) return slices;
  const dir = packageDir();
  const table = JSON.parse(readFileSync(join(dir, "unicode.json"), "utf8")) as Record<string, string>;
  const list: Slice[] = [];
  for (const [key, ranges] of Object.entries(table)) {
    const name = key.replace(/[[\]]/g, "");
    if (!/^[a-z0-9-]+$/i.test(name)) continue;
    list.push({
      family: `TimelineSans${name}`,
      file: join(dir, "files", `noto-sans-sc-${name}-wght-normal.woff2`),
      ranges: parseRanges(ranges),
      registered: false,
    });
  }
  // The Latin slice first: digits and ASCII in the tick labels and durations come from it.
  list.sort((a, b) => Number(b.family === "TimelineSanslatin") - Number(a.family === "TimelineSanslatin"));
  slices = list;
  return list;
}

function sliceOf(codePoint: number, list: Slice[]): Slice | undefined {
  for (const slice of list) {
    for (const [a, b] of slice.ranges) if (codePoint >= a && codePoint <= b) return slice;
  }
  return undefined;
}

/**
 * The CSS font-family list that covers every character of `texts` (registering the slices not yet
 * registered). Characters the font does not have are left to Skia's fallback.
 */
export function fontFamiliesFor(texts: Iterable<string>): string {
  const list = loadSlices();
  const needed = new Set<Slice>();
  const latin = list[0];
  if (latin) needed.add(latin);
  const seen = new Set<number>();
  for (const text of texts) {
    for (const char of text) {
      const cp = char.codePointAt(0) ?? 0;
      if (cp < 0x80 || seen.has(cp)) continue;
      seen.add(cp);
      const slice = sliceOf(cp, list);
      if (slice) needed.add(slice);
    }
  }
  for (const slice of needed) {
    if (!slice.registered) {
      GlobalFonts.registerFromPath(slice.file, slice.family);
      slice.registered = true;
    }
  }
  return [...needed].map((s) => s.family).join(", ");
}
