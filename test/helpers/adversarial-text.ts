/**
 * Text built to make backtracking regexes slow: long runs that a pattern can start on at every
 * character and then reject at the end. Each family is one shape the probe (or the lint)
 * found quadratic in the backend-text translation; `size` is its length in characters.
 */
export const ADVERSARIAL_FAMILIES: Record<string, (size: number) => string> = {
  "word, blanks, word": (size) => `x${" ".repeat(size - 2)}y`,
  "spaces and tabs": (size) => `${" \t".repeat(Math.floor(size / 2) - 1)}x\n`,
  "a sentence end then blanks": (size) => `.${" ".repeat(size - 2)}\u200b`,
  "a secret name then blanks": (size) => `token${" ".repeat(size - 6)}x`,
  "unclosed code fence": (size) => `\`\`\`${"a".repeat(size - 3)}`,
  "http:// repeated": (size) => "http://".repeat(Math.floor(size / 7)),
  "closing brackets after a full stop": (size) => `。${")".repeat(size - 2)} `,
  "a random-looking word cut short": (size) => "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p ".repeat(Math.floor(size / 32)),
  "Discord-token-like runs": (size) => `-M${"a-".repeat(Math.floor(size / 2) - 1)}`,
  "JSON objects": (size) => '{"a":1} '.repeat(Math.floor(size / 8)),
  "many short lines": (size) => "a \n".repeat(Math.floor(size / 3)),
  "click Export sentences": (size) => "Click Export. ".repeat(Math.floor(size / 14)),
};

/** `size` characters of the family, cut to the exact length. */
export function adversarialText(family: string, size: number): string {
  const make = ADVERSARIAL_FAMILIES[family];
  if (!make) throw new Error(`no adversarial family ${family}`);
  return make(size).slice(0, size);
}
