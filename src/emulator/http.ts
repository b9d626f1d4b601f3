import type { IncomingMessage, ServerResponse } from "node:http";

/** Small request/response helpers shared by the emulator's routes. */

/** Every answer says what it comes from, so nobody mistakes the emulator for the real backend. */
export const EMULATOR_HEADER = ["x-emulator", "nemovideo-emulator"] as const;

/**
 * Waits for the rest of a request body to arrive and discards it. Answering before the client has
 * finished sending (a rejected 500 MB upload) would make many clients see a reset instead of the answer.
 */
export function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    req.once("end", done);
    req.once("close", done);
    req.once("error", done);
    req.resume();
  });
}

export async function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): Promise<void> {
  await drain(req);
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    [EMULATOR_HEADER[0]]: EMULATOR_HEADER[1],
  });
  res.end(text);
}

/** The `{code, message, data}` envelope most calls answer with. */
export function envelope(code: number, message: string, data?: unknown): Record<string, unknown> {
  return data === undefined ? { code, message } : { code, message, data };
}

export class BodyError extends Error {}

/** Reads a small JSON body (at most `limit` bytes). */
export async function readJson(req: IncomingMessage, limit = 8 * 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // destroyOnReturn: false keeps the connection usable for the error answer when the body is too large.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError("body too large");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError("body is not JSON");
  }
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/** The caller's IP; X-Forwarded-For is honoured like a gateway would, so tests can act as several IPs. */
export function clientIp(req: IncomingMessage): string {
  const forwarded = req.headers["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  return first || req.socket.remoteAddress || "unknown";
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
