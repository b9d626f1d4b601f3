import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Button, Outbox, PhotoFile, PhotoOptions, SentRef, VideoFile } from "../../src/chat/outbox.js";
import type { ReplyHandle } from "../../src/chat/message.js";

/**
 * The terminal's side of the chat: the bot's messages printed as lines, the status message
 * rewritten in place on a TTY (one line per change when piped), videos saved to a folder.
 */
export class TerminalOutbox implements Outbox {
  private nextId = 1;
  /** The status message that occupies the last printed line, if any: only it can be rewritten. */
  private lastLineStatus: string | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly exportDir: string,
  ) {}

  private print(line: string): void {
    if (this.lastLineStatus !== undefined && this.out.isTTY) this.out.write("\n");
    this.lastLineStatus = undefined;
    this.out.write(`${line}\n`);
  }

  private newRef(): SentRef {
    return { messageId: String(this.nextId++) };
  }

  async sendText(_to: ReplyHandle, text: string, options?: { buttons?: Button[] }): Promise<SentRef> {
    this.print(`bot> ${text}${buttonHint(options?.buttons)}`);
    return this.newRef();
  }

  async upsertStatus(_to: ReplyHandle, ref: SentRef | undefined, text: string): Promise<SentRef> {
    const id = ref?.messageId ?? String(this.nextId++);
    if (this.out.isTTY) {
      // Rewrite the line only while nothing else was printed after it; else start a new one.
      if (this.lastLineStatus === id) this.out.write(`\r\x1b[K  ${text}`);
      else {
        if (this.lastLineStatus !== undefined) this.out.write("\n");
        this.out.write(`  ${text}`);
      }
      this.lastLineStatus = id;
    } else {
      this.print(`  ${text}`);
    }
    return { messageId: id };
  }

  maxVideoBytes(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  async sendVideo(_to: ReplyHandle, video: VideoFile, options?: { buttons?: Button[] }): Promise<SentRef> {
    mkdirSync(this.exportDir, { recursive: true });
    const path = uniquePath(this.exportDir, basename(video.fileName) || "video.mp4");
    await pipeline(await video.open(), createWriteStream(path));
    const caption = video.caption ? `${video.caption}\n` : "";
    this.print(`bot> ${caption}🎬 saved ${path} (${formatBytes(video.size)})${buttonHint(options?.buttons)}`);
    return this.newRef();
  }

  async sendLink(_to: ReplyHandle, text: string, url: string, options?: { buttons?: Button[] }): Promise<SentRef> {
    this.print(`bot> ${text}\n     ${url}${buttonHint(options?.buttons)}`);
    return this.newRef();
  }

  /** A terminal shows no pictures: the PNG is saved beside the exports and its path printed under the caption. */
  async sendPhoto(_to: ReplyHandle, photo: PhotoFile, options?: PhotoOptions): Promise<SentRef> {
    mkdirSync(this.exportDir, { recursive: true });
    const path = uniquePath(this.exportDir, basename(photo.fileName) || "picture.png");
    writeFileSync(path, photo.bytes);
    const caption = photo.caption ? `${photo.caption}\n` : "";
    this.print(`bot> ${caption}🖼  saved ${path} (${photo.width}×${photo.height}, ${formatBytes(photo.bytes.length)})${buttonHint(options?.buttons)}`);
    return this.newRef();
  }

  async deleteMessage(): Promise<boolean> {
    // What was typed stays in the terminal's scroll-back; nothing to delete.
    return false;
  }
}

function buttonHint(buttons: Button[] | undefined): string {
  if (!buttons || buttons.length === 0) return "";
  return `\n     [${buttons.map((b) => b.label).join("] [")}]  (type: ${buttons.map((b) => b.intent).join(" · ")})`;
}

function uniquePath(dir: string, name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return resolve(join(dir, `${stamp}-${name}`));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
