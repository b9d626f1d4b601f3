import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Transformer } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { createApis, DEFAULT_RETRY_POLICY } from "../../adapters/telegram/api.js";

/**
 * The Bot API clients close an idle kept-alive connection themselves, before the server's own idle
 * timeout: a send that reuses a connection at the moment the server closes it fails with
 * ECONNRESET (grammY does not retry it), and a job must treat that as "maybe sent".
 */
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A Bot API stand-in that keeps idle connections a minute (so any close before that is the client's), answering after `delayMs`. */
async function botApi(delayMs = 0): Promise<{ apiRoot: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ ok: true, result: { message_id: 1, date: 0, chat: { id: 1, type: "private", first_name: "Ada" }, text: "hi" } }));
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { apiRoot: `http://127.0.0.1:${port}`, sockets };
}

const noThrottle = (): Transformer => (prev, method, payload, signal) => prev(method, payload, signal);

describe("the Bot API clients' connections", () => {
  it("close a kept-alive connection once it is idle, before the server would", async () => {
    const api = await botApi();
    const apis = createApis("123:abc", api.apiRoot, { ...DEFAULT_RETRY_POLICY, idleConnectionMs: 200 }, noThrottle);
    await apis.interactive.sendMessage(1, "hi");
    expect(api.sockets).toHaveLength(1);
    const socket = api.sockets[0] as Socket;
    // The client ends the idle connection: the server sees `end` from it (its own idle timeout is a minute away).
    const ended = await new Promise<boolean>((resolve) => {
      socket.once("end", () => resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    expect(ended).toBe(true);
  });

  it("never cut a request that is still waiting for its answer", async () => {
    const api = await botApi(800);
    const apis = createApis("123:abc", api.apiRoot, { ...DEFAULT_RETRY_POLICY, idleConnectionMs: 100 }, noThrottle);
    await expect(apis.interactive.sendMessage(1, "hi")).resolves.toMatchObject({ message_id: 1 });
  });
});
