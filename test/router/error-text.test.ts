import { describe, expect, it } from "vitest";
import { errorText, formatBytes, type ErrorTextContext } from "../../src/chat/error-text.js";
import type { Locale } from "../../src/chat/message.js";
import { NemoError, type NemoErrorCode } from "../../src/errors.js";
import { messages } from "../../src/i18n/index.js";

const FORMATS = ["mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"];
const base: ErrorTextContext = { tokenKind: "anonymous", maxFileBytes: 500 * 1024 * 1024, acceptedFormats: FORMATS };

/** A Record so the compiler fails this test when a code is added and not listed here. */
const ALL_CODES: Record<NemoErrorCode, true> = {
  token_invalid: true, session_not_found: true, no_credits: true, unsupported_file: true, file_too_large: true,
  missing_client_id: true, anonymous_limit: true, plan_blocked: true, rate_limited: true, server: true,
  bad_request: true, bad_response: true, turn_failed: true, turn_timeout: true, network: true, timeout: true,
  render_failed: true, unknown: true,
};

/** An error as a careless backend might word it: a token, raw JSON and a stack in the message. */
function leakyError(code: NemoErrorCode): NemoError {
  return new NemoError(code, 'POST /run_sse: {"code":2001,"token":"nmv_usr_SECRET42"}\n    at Object.<anonymous> (client.ts:1:1)', {
    bindId: code === "no_credits" ? "bind_77" : undefined,
  });
}

describe("errorText: the error table in words", () => {
  const locales: Locale[] = ["en", "zh-CN"];
  it.each(locales.flatMap((locale) => Object.keys(ALL_CODES).map((code) => [locale, code as NemoErrorCode] as const)))(
    "%s %s: a sentence, never the token, JSON or a stack",
    (locale, code) => {
      for (const tokenKind of ["user", "operator", "anonymous"] as const) {
        const text = errorText(leakyError(code), locale, { ...base, tokenKind });
        expect(text.length).toBeGreaterThan(10);
        expect(text).not.toMatch(/nmv_|SECRET|\{"|"code"|at Object|client\.ts/);
      }
    },
  );

  it("gives an anonymous user out of credits the registration link with their bind id", () => {
    const text = errorText(leakyError("no_credits"), "en", base);
    expect(text).toContain("https://nemovideo.ai/register?bind=bind_77");
    const fromContext = errorText(new NemoError("no_credits", "x"), "en", { ...base, bindId: "ctx_1", registerUrl: "https://example.test/signup" });
    expect(fromContext).toContain("https://example.test/signup?bind=ctx_1");
  });

  it("tells a registered user to top up, and the operator's users how to use their own account", () => {
    expect(errorText(leakyError("no_credits"), "en", { ...base, tokenKind: "user" })).toMatch(/top up credits in your/i);
    expect(errorText(leakyError("no_credits"), "en", { ...base, tokenKind: "operator" })).toMatch(/\/token/);
    expect(errorText(leakyError("no_credits"), "zh-CN", { ...base, tokenKind: "user" })).toMatch(/充值/);
  });

  it("explains 402 as a plan issue, not credits", () => {
    const text = errorText(new NemoError("plan_blocked", "HTTP 402", { status: 402 }), "en", base);
    expect(text).toMatch(/register or upgrade your plan to unlock export/i);
    expect(text).toMatch(/not your credits/);
  });

  it("lists the formats for 4001 and gives the size limit with how to trim for 4002", () => {
    expect(errorText(leakyError("unsupported_file"), "en", base)).toContain("mp4, mov, avi, webm, mkv, jpg");
    const tooLarge = errorText(leakyError("file_too_large"), "en", { ...base, maxFileBytes: 200 * 1024 * 1024 });
    expect(tooLarge).toContain("200 MB");
    expect(tooLarge).toMatch(/trim/i);
    expect(errorText(leakyError("file_too_large"), "zh-CN", base)).toContain("500 MB");
  });

  it("says busy for 429, not answering for 5xx, network and timeouts, and that nothing was lost", () => {
    expect(errorText(leakyError("rate_limited"), "en", base)).toMatch(/busy.*minute/);
    for (const code of ["server", "network", "timeout"] as const) {
      expect(errorText(leakyError(code), "en", base)).toMatch(/not answering.*Nothing was lost/);
    }
  });

  it("tells a user refused a starter account to set their own token", () => {
    expect(errorText(leakyError("anonymous_limit"), "en", base)).toMatch(/\/token/);
    expect(errorText(leakyError("anonymous_limit"), "zh-CN", base)).toMatch(/\/token/);
  });

  it("answers anything that is not a NemoError with the generic sentence", () => {
    const leaky = new Error("ECONNREFUSED redis://user:pass@127.0.0.1");
    expect(errorText(leaky, "en", base)).toBe(messages("en").unknownError);
    expect(errorText("a string", "zh-CN", base)).toBe(messages("zh-CN").unknownError);
  });

  it("speaks each language in its own words", () => {
    for (const code of Object.keys(ALL_CODES) as NemoErrorCode[]) {
      expect(errorText(leakyError(code), "zh-CN", base)).not.toBe(errorText(leakyError(code), "en", base));
    }
  });

  it("writes sizes the way people read them", () => {
    expect(formatBytes(500 * 1024 * 1024)).toBe("500 MB");
    expect(formatBytes(200_000_000)).toBe("200 MB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(2 * 1024 * 1024 * 1024)).toBe("2 GB");
  });
});
