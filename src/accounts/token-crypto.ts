import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ChatError } from "../errors.js";

/**
 * AES-256-GCM for tokens at rest in Redis. Each value is `v1:<base64 iv|tag|ciphertext>` with a
 * fresh 12-byte IV; the user's key is the additional data, so a value copied onto another user's
 * record does not decrypt.
 */

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function encryptToken(key: Buffer, userKey: string, token: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(userKey, "utf8"));
  const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

export function decryptToken(key: Buffer, userKey: string, sealed: string): string {
  const [version, payload] = sealed.split(":", 2);
  if (version !== VERSION || !payload) throw new ChatError("token_unreadable", "stored token has an unknown format");
  const bytes = Buffer.from(payload, "base64");
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new ChatError("token_unreadable", "stored token is truncated");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(userKey, "utf8"));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (cause) {
    // A changed TOKEN_KEY or a value moved between users: unreadable, never a crash.
    throw new ChatError("token_unreadable", "stored token does not decrypt with this key", { cause });
  }
}

/**
 * A short one-way tag of a token: tells whether a session was made under the same account
 * without keeping the token itself.
 */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 16);
}
