import { createServer } from "node:net";
import { Writable } from "node:stream";
import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { redactSecrets } from "../src/chat/gui-translation.js";
import { createLogger, scrubSecrets } from "../src/log.js";

const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("log: secrets never reach a log line", () => {
  it("a Telegram network failure logged as `err` does not print the bot token held by its inner error", async () => {
    let lines = "";
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ destination });
    // A real grammY HttpError: its `error` is node-fetch's "request to http://…/bot<token>/getMe failed".
    const api = new Api(BOT_TOKEN, { apiRoot: `http://127.0.0.1:${await closedPort()}` });
    const error = await api.getMe().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    logger.warn({ err: error }, "status message edit failed");
    expect(lines).toContain("status message edit failed");
    expect(lines).toContain("getMe");
    expect(lines).not.toContain(BOT_TOKEN);
    expect(lines).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1");
  });
});

const DISCORD_TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nw.GaBcDe.abcdefghijklmnopqrstuvwxyz12345";
const NEMO = "nmv_usr_7f3a9c2e4b1d";

/** What a probe of the logs found leaking (issue 16 item 6, issue 11 item 10), as text. */
const LEAKS_AS_TEXT: Array<[name: string, text: string, secret: string]> = [
  ["a Discord bot token as text", `logged in with ${DISCORD_TOKEN}`, DISCORD_TOKEN],
  ["a Discord token as Authorization: Bot", `Authorization: Bot ${DISCORD_TOKEN}`, DISCORD_TOKEN],
  ["a Telegram token with its colon as %3A", `GET https://api.telegram.org/bot123456789%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1/getMe failed`, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"],
  ["bot<token> without a leading slash", `calling bot${BOT_TOKEN} now`, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"],
  ["a bare Telegram token", `token is ${BOT_TOKEN}`, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"],
  ["a NemoVideo token", `using ${NEMO} for this`, NEMO],
  ["a botToken written as key=value", "botToken=0123abcdEFGH", "0123abcdEFGH"],
];

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let lines = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ destination }), lines: () => lines };
}

describe("one list of secret patterns for logs, chat text and errors", () => {
  it.each(LEAKS_AS_TEXT)("%s is hidden in a log message, a log field, chat text and an error's text", (_name, text, secret) => {
    const { logger, lines } = capture();
    logger.info(text);
    logger.info({ detail: text, nested: { list: [{ why: text }] } }, "a field");
    logger.warn({ err: new Error(text) }, "failed");
    expect(lines()).toContain("a field");
    expect(lines()).not.toContain(secret);
    expect(redactSecrets(text)).not.toContain(secret);
    expect(scrubSecrets(text)).not.toContain(secret);
  });

  it("blanks fields named like secrets whatever their value, at any depth", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        botToken: "short-one",
        request: { options: { headers: { authorization: "opaque-value-1" } } },
        job: { data: { session: { apiKey: "opaque-value-2", note: `with ${NEMO}` } } },
        TOKEN_KEY: "opaque-value-3",
      },
      "deep",
    );
    const line = lines();
    expect(line).toContain("deep");
    for (const secret of ["short-one", "opaque-value-1", "opaque-value-2", "opaque-value-3", NEMO]) expect(line).not.toContain(secret);
    expect(line).toContain('"authorization":"[redacted]"');
  });

  it("logs odd error values without throwing: a revoked Proxy, a string, a throwing getter, a cycle", () => {
    const { logger, lines } = capture();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = Object.defineProperty({}, "message", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    const cyclic: Record<string, unknown> = { token: "x" };
    cyclic.self = cyclic;
    const revocableError = Proxy.revocable(new Error("e"), {});
    revocableError.revoke();
    const revokedError = revocableError.proxy;
    for (const err of [proxy, `failed with ${NEMO}`, throwing, cyclic, revokedError, null, 42, Symbol("s")]) {
      expect(() => logger.error({ err }, "odd error")).not.toThrow();
      expect(() => logger.error({ field: err }, "odd field")).not.toThrow();
    }
    expect(lines().match(/odd error/g)).toHaveLength(8);
    expect(lines()).not.toContain(NEMO);
  });
});
