import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptToken, encryptToken, tokenFingerprint } from "../../src/accounts/token-crypto.js";

const key = randomBytes(32);
const TOKEN = "nmv_usr_0123456789abcdef0123456789abcdef";

describe("tokens at rest", () => {
  it("seals a token so that neither it nor a piece of it shows, and opens it again", () => {
    const sealed = encryptToken(key, "telegram:1", TOKEN);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed).not.toContain("0123456789abcdef");
    expect(Buffer.from(sealed.slice(3), "base64").toString("latin1")).not.toContain("nmv_usr");
    expect(decryptToken(key, "telegram:1", sealed)).toBe(TOKEN);
  });

  it("gives a different value each time (fresh IV)", () => {
    expect(encryptToken(key, "u", TOKEN)).not.toBe(encryptToken(key, "u", TOKEN));
  });

  it("refuses another key, another user, or a tampered value", () => {
    const sealed = encryptToken(key, "telegram:1", TOKEN);
    expect(() => decryptToken(randomBytes(32), "telegram:1", sealed)).toThrow(/decrypt/);
    expect(() => decryptToken(key, "telegram:2", sealed)).toThrow(/decrypt/);
    const bytes = Buffer.from(sealed.slice(3), "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => decryptToken(key, "telegram:1", `v1:${bytes.toString("base64")}`)).toThrow(/decrypt/);
    expect(() => decryptToken(key, "telegram:1", TOKEN)).toThrow(/format/);
  });

  it("fingerprints without revealing", () => {
    expect(tokenFingerprint(TOKEN)).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenFingerprint(TOKEN)).toBe(tokenFingerprint(TOKEN));
    expect(tokenFingerprint(TOKEN)).not.toBe(tokenFingerprint(`${TOKEN}x`));
  });
});
