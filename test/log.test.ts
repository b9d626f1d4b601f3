import { createServer } from "node:net";
import { Writable } from "node:stream";
import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";

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
