import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, quotaLimits } from "../src/config.js";

describe("configuration", () => {
  it("starts with defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config.NEMO_API_BASE).toBe("https://mega-api-prod.nemovideo.ai");
    expect(config.SKILL_PROFILE).toBe("video-making-ai");
    expect(config.NEMO_SKILL_PLATFORM).toBe("unknown");
    expect(config.STILL_WORKING_MS).toBe(120_000);
  });

  it("lists every bad value in one error and never prints a secret", () => {
    const secret = "not-a-real-key-but-secret-material";
    let error: unknown;
    try {
      loadConfig({ NEMO_API_BASE: "not a url", RENDER_POLL_MS: "soon", TOKEN_KEY: secret, SKILL_PROFILE: "nope" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/NEMO_API_BASE/);
    expect(message).toMatch(/RENDER_POLL_MS/);
    expect(message).toMatch(/SKILL_PROFILE/);
    expect(message).not.toContain(secret);
  });

  it("turns quotas on by default only when the operator's token is shared", () => {
    expect(quotaLimits(loadConfig({}))).toEqual({ turnsPerHour: 0, exportsPerHour: 0 });
    expect(quotaLimits(loadConfig({ NEMO_TOKEN: "nmv_usr_x" }))).toEqual({ turnsPerHour: 20, exportsPerHour: 5 });
    expect(quotaLimits(loadConfig({ NEMO_TOKEN: "nmv_usr_x", TURNS_PER_HOUR: "0" })).turnsPerHour).toBe(0);
  });
});
