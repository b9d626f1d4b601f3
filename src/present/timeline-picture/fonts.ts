import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GlobalFonts } from "@napi-rs/canvas";

/**
 * The picture's typeface: Noto Sans SC (Simplified Chinese with Latin, Greek and Cyrillic), Regular
 * and Bold, from the npm package @embedpdf/fonts-sc (the OpenType files the emulator's drawtext uses
 * too), so Chinese and English draw alike on a machine with no system fonts. Registered under a
 * family name of our own the first time a picture is drawn (about 10 ms).
 */

const PACKAGE = "@embedpdf/fonts-sc";
const FILES = ["NotoSansHans-Regular.otf", "NotoSansHans-Bold.otf"];
export const FONT_FAMILY = "TimelineSans";

let registered = false;

function fontDir(): string {
  // The package exports only its (tiny) index; the fonts sit beside it in fonts/.
  const entry = createRequire(import.meta.url).resolve(PACKAGE);
  return join(dirname(entry), "..", "fonts");
}

/** The CSS font-family to draw with; throws when the font package is missing (the caller answers in words). */
export function fontFamily(): string {
  if (!registered) {
    const dir = fontDir();
    for (const file of FILES) {
      if (!GlobalFonts.registerFromPath(join(dir, file), FONT_FAMILY)) throw new Error(`could not load the font ${file} from ${PACKAGE}`);
    }
    registered = true;
  }
  return FONT_FAMILY;
}
