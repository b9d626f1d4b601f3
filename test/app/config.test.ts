import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, killIfRunning, startMain, type RunningProcess } from "./support.js";

/**
 * What an operator sees when the environment is wrong: `npm start` (src/main.ts) stops at once with
 * exit code 2 and one message that names every bad variable, and never echoes a value (a token pasted
 * into the wrong variable must not land in a log collector).
 */

let main: RunningProcess | undefined;
afterEach(() => killIfRunning(main));

const SECRETS = {
  TOKEN_KEY: "zebra-Sup3rSecret-token-key-material-91",
  DISCORD_TOKEN: "MTIzNDU2.discord-Secret-Zq81.abcdefghijklmnop",
  TELEGRAM_BOT_TOKEN: "987654321:AAHsecretTelegramValue_qwertyuiop12",
  NEMO_TOKEN: "nmv_usr_operator_Secret_5521",
};

describe("configuration errors at start", () => {
  it("lists every bad variable in one message, exits with code 2 and prints no value", async () => {
    const bad = {
      ...SECRETS,
      // A secret pasted into the wrong variable is still not echoed.
      LOG_LEVEL: "loud-Secret-in-the-wrong-place-77",
      ROLE: "chef",
      NEMO_API_BASE: "not a url",
      HTTP_PORT: "99999",
      WORKER_CONCURRENCY: "0",
      SKILL_PROFILE: "tiktok-maker",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.invalid/telegram",
    };
    main = startMain(cleanEnv(bad));
    const code = await main.exited(20_000);
    const output = main.output();

    expect(code, output).toBe(2);
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    for (const name of [
      "LOG_LEVEL",
      "ROLE",
      "NEMO_API_BASE",
      "HTTP_PORT",
      "WORKER_CONCURRENCY",
      "SKILL_PROFILE",
      "TOKEN_KEY",
      "DISCORD_APPLICATION_ID",
      "TELEGRAM_WEBHOOK_SECRET",
    ]) {
      expect(output, `${name} should be named`).toMatch(new RegExp(`^  - ${name}: `, "m"));
    }
    // Valid settings are not complained about.
    expect(output).not.toMatch(/^ {2}- (DISCORD_TOKEN|TELEGRAM_BOT_TOKEN|NEMO_TOKEN):/m);
    for (const value of [...Object.values(SECRETS), bad.LOG_LEVEL]) expect(output).not.toContain(value);
    // It stopped before starting anything.
    expect(output).not.toContain("demo mode");
  });

  it("refuses a malformed TOKEN_KEY on its own, without echoing it", async () => {
    main = startMain(cleanEnv({ TOKEN_KEY: SECRETS.TOKEN_KEY }));
    const code = await main.exited(20_000);
    const output = main.output();
    expect(code, output).toBe(2);
    expect(output).toContain("TOKEN_KEY: must be 32 bytes, as 64 hex characters or base64");
    expect(output).not.toContain(SECRETS.TOKEN_KEY);
  });
});
