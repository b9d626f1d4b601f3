import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * The font titles and captions are drawn with: Noto Sans SC (Simplified Chinese, GB2312, with Latin,
 * Greek and Cyrillic) from the npm package `@embedpdf/fonts-sc`, so Chinese and English render on a
 * machine with no system fonts. One OpenType (CFF) file that FreeType (ffmpeg's drawtext) and Skia
 * read alike.
 */
const PACKAGE = "@embedpdf/fonts-sc";
const FILE = "NotoSansHans-Regular.otf";

let cached: string | null | undefined;

/** The font file's path, or undefined when the package is not installed. */
export function cjkFontPath(): string | undefined {
  if (cached === undefined) cached = find() ?? null;
  return cached ?? undefined;
}

function find(): string | undefined {
  try {
    // The package exports only its (tiny) index; the fonts sit beside it in fonts/.
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    const path = join(dirname(entry), "..", "fonts", FILE);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
