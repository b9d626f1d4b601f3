import { Api, GrammyError } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { describeError as describeDiscordError } from "../../adapters/discord/discord-errors.js";
import { describes } from "../../adapters/telegram/api.js";
import { describeError } from "../../adapters/telegram/describe-error.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";

/**
 * Every error-shaped value, from any library or server, can be described for a log line: describing
 * a failure must never become a failure of its own (it once crashed `npm start` before its first
 * getUpdates, on a Bot API error that had no `description`).
 */

let fake: FakeTelegram | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const throwingToString = { toString: () => { throw new Error("no"); } };
const revoked = Proxy.revocable({}, {});
revoked.revoke();
const oddValues: Array<[string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["a string", "plain words"],
  ["an empty string", ""],
  ["a number", 42],
  ["a symbol", Symbol("odd")],
  ["an object without a prototype", Object.create(null) as unknown],
  ["a plain {message}", { message: "Internal Server Error" }],
  ["an object whose toString throws", throwingToString],
  ["a revoked proxy", revoked.proxy],
  ["an Error without a message", new Error()],
  ["an object with a throwing getter", Object.defineProperty({}, "message", { get: () => { throw new Error("getter"); }, enumerable: true })],
];

describe("describing any error for a log line", () => {
  it("a real GrammyError from an HTTP 500 {message} answer (no description, no error_code)", async () => {
    fake = await startFakeTelegram();
    fake.failNext("setMyCommands", { errorCode: 500, body: { message: "Internal Server Error" } });
    const error = await new Api(fake.token, { apiRoot: fake.apiRoot }).setMyCommands([{ command: "help", description: "Help" }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toBeUndefined();
    const described = describeError(error);
    expect(described).toMatchObject({ name: "GrammyError", method: "setMyCommands" });
    expect(described.message).toMatch(/setMyCommands/);
    expect(described).not.toHaveProperty("code");
    expect(describes(error, "file is too big")).toBe(false);
    expect(() => JSON.stringify(describeError(error))).not.toThrow();
  });

  it.each(oddValues)("%s: described by both adapters without throwing, as text", (_name, value) => {
    for (const describe of [describeError, describeDiscordError]) {
      const described = describe(value);
      expect(typeof described.message).toBe("string");
      expect(described.message.length).toBeGreaterThan(0);
      expect(() => JSON.stringify(described)).not.toThrow();
    }
    expect(describes(value, "anything")).toBe(false);
  });

  it("keeps what an error-shaped object says", () => {
    expect(describeError({ message: "Internal Server Error", code: 500 })).toEqual({ name: "object", message: "Internal Server Error", code: 500 });
    expect(describeError("ECONNRESET")).toMatchObject({ message: "ECONNRESET" });
    expect(describeError(new TypeError("terminated"))).toEqual({ name: "TypeError", message: "terminated" });
  });

  it("never lets a bot token through", () => {
    const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
    expect(JSON.stringify(describeError({ message: `request to https://api.telegram.org/bot${token}/getMe failed` }))).not.toContain(token);
  });
});
