import type { RedisClient } from "../redis/client.js";

/**
 * A small picture per uploaded clip, for the timeline picture. Telegram hands one over with every
 * video and photo (its `thumbnail`, or a photo's smallest size); the bot keeps a shrunken copy per
 * session, under every name the draft may later use for that clip (its CDN URL, its file name).
 */
export interface Thumbnails {
  put(sessionId: string, keys: readonly string[], image: Buffer): Promise<void>;
  /** The pictures known for these keys (absent ones are left out). */
  get(sessionId: string, keys: readonly string[]): Promise<Map<string, Buffer>>;
}

/** Thumbnails are shown at about 90×50: 160 px on the long side is plenty and stays a few KB. */
const THUMB_SIDE = 160;
/** What the bot reads of a platform thumbnail before giving up on it (Telegram's are ~10–20 KB). */
export const MAX_THUMBNAIL_SOURCE_BYTES = 1024 * 1024;
/** As long as the session is likely to be looked at. */
const TTL_SECONDS = 30 * 24 * 3600;
/** Bounds one session's hash: a session with more clips than this shows placeholders for the rest. */
const MAX_PER_SESSION = 500;
const MAX_KEY_LENGTH = 2000;

/** A JPEG of at most THUMB_SIDE px on its long side; throws when `source` is no image. */
export async function shrinkThumbnail(source: Buffer): Promise<Buffer> {
  // Loaded on first use: the native canvas costs memory a process that draws nothing should not pay.
  const { createCanvas, loadImage } = await import("@napi-rs/canvas");
  const image = await loadImage(source);
  if (!(image.width > 0 && image.height > 0)) throw new Error("thumbnail has no size");
  const scale = Math.min(1, THUMB_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const canvas = createCanvas(width, height);
  canvas.getContext("2d").drawImage(image, 0, 0, width, height);
  return canvas.encode("jpeg", 80);
}

export class RedisThumbnails implements Thumbnails {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(sessionId: string): string {
    return `${this.prefix}:thumbs:${sessionId}`;
  }

  async put(sessionId: string, keys: readonly string[], image: Buffer): Promise<void> {
    const fields = [...new Set(keys.filter((k) => k.length > 0 && k.length <= MAX_KEY_LENGTH))];
    if (fields.length === 0) return;
    const key = this.key(sessionId);
    if ((await this.redis.hlen(key)) >= MAX_PER_SESSION) return;
    const args: Array<string | Buffer> = [];
    for (const field of fields) args.push(field, image);
    await this.redis.multi().hset(key, ...args).expire(key, TTL_SECONDS).exec();
  }

  async get(sessionId: string, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const fields = [...new Set(keys.filter((k) => k.length > 0 && k.length <= MAX_KEY_LENGTH))];
    const out = new Map<string, Buffer>();
    if (fields.length === 0) return out;
    const values = await this.redis.hmgetBuffer(this.key(sessionId), ...fields);
    fields.forEach((field, i) => {
      const value = values[i];
      if (value) out.set(field, value);
    });
    return out;
  }
}
