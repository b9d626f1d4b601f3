import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * An interaction token lets anyone post as the bot for 15 minutes, and it travels in job data
 * (visible in a queue dashboard). So the handle carries it sealed with AES-256-GCM under a key
 * derived from the bot token, which every process that may answer already has.
 */
export interface TokenSeal {
  seal(token: string): string;
  /** Undefined when the text was sealed under another key or was tampered with. */
  open(sealed: string): string | undefined;
}

export function tokenSeal(botToken: string | undefined): TokenSeal {
  const key = createHash("sha256").update(`nemo-discord-interaction-token:${botToken ?? ""}`).digest();
  return {
    seal(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(sealed) {
      try {
        const bytes = Buffer.from(sealed, "base64url");
        const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(12, 28));
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        return undefined;
      }
    },
  };
}
