import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach } from "vitest";
import { NemoClient, type NemoClientOptions } from "../../src/nemo/client.js";

/**
 * A tiny HTTP server on 127.0.0.1 for exact wire shapes the emulator does not produce on purpose
 * (snake_case events, comment heartbeats, a socket destroyed mid-stream, odd envelopes).
 */
export interface LocalServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export type Handler = (req: IncomingMessage & { bodyBytes: Buffer }, res: ServerResponse) => void | Promise<void>;

export async function startLocalServer(handler: Handler, options: { recordBodies?: boolean } = {}): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      if (options.recordBodies !== false) chunks.push(chunk);
    });
    req.on("end", () => {
      const bodyBytes = Buffer.concat(chunks);
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: bodyBytes });
      void Promise.resolve(handler(Object.assign(req, { bodyBytes }), res)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * For a test file: a function that starts a local server for the current test; every server it
 * started is closed after each test (closing one early in a test is fine).
 */
export function useLocalServers(): (handler: Handler, options?: { recordBodies?: boolean }) => Promise<LocalServer> {
  const open: LocalServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (handler, options) => {
    const server = await startLocalServer(handler, options);
    open.push(server);
    return server;
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Small, fast settings: every delay a test may wait on is tiny. */
export function testClient(baseUrl: string, overrides: Partial<NemoClientOptions> = {}): NemoClient {
  return new NemoClient({
    baseUrl,
    skill: { source: "nemo-video", version: "1.9" },
    platform: "unknown",
    requestTimeoutMs: 2_000,
    uploadTimeoutMs: 10_000,
    retryAfter429Ms: 10,
    turnTimeoutMs: 5_000,
    silentTimeoutMs: 2_000,
    ...overrides,
  });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Runs `work` and returns what it threw (fails the test when it did not throw). */
export async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}
