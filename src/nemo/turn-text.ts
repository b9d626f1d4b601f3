import type { TurnEvent } from "./types.js";

/**
 * Puts a turn's text events together the way types.ts (TurnEvent) describes: partial chunks build a
 * preview, a non-partial text replaces that preview as one finished message. Feed every event; read
 * `preview()` for a live status line and `messages()` at the end.
 */
export class TurnText {
  private readonly finished: string[] = [];
  private pending = "";

  add(event: TurnEvent): void {
    if (event.type !== "text") return;
    if (event.partial) {
      this.pending += event.text;
    } else {
      this.finished.push(event.text);
      this.pending = "";
    }
  }

  /** Everything so far, the unfinished reply included. */
  preview(): string {
    return [...this.finished, this.pending].filter((t) => t !== "").join("\n\n");
  }

  /** The finished messages; partial chunks never repeated whole (a dropped stream) count as one. */
  messages(): string[] {
    return this.pending === "" ? [...this.finished] : [...this.finished, this.pending];
  }
}
