/** `text` as a literal inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `build` for a name, remembering the last name's result: the bot's own name is the same for every
 * message, so the patterns made from it are compiled once, not per message.
 */
export function forLastName<T>(build: (name: string) => T): (name: string) => T {
  let last: { name: string; value: T } | undefined;
  return (name) => {
    if (last?.name !== name) last = { name, value: build(name) };
    return last.value;
  };
}
