import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";

/** Talks to the emulator over plain HTTP with undici, the way any client would. */

export const ATTRIBUTION = { "x-skill-source": "nemo-video", "x-skill-version": "1.9", "x-skill-platform": "unknown" };

export function fastEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({
    ...options,
    timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 60, heartbeatOnlyMs: 150, ...options.timing },
  });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...ATTRIBUTION, ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const res = await request(`${base}${path}`, { method: method as "GET", headers, body });
  return readAnswer(res);
}

/** An answer's status, headers, text, and its JSON when the text is JSON. */
async function readAnswer(res: Dispatcher.ResponseData): Promise<Answer> {
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** `data` of a `{code:0,data}` answer; fails the test on anything else. */
export function dataOf<T = Record<string, unknown>>(answer: Answer): T {
  const body = answer.json as { code?: number; data?: T } | undefined;
  if (answer.status !== 200 || body?.code !== 0) throw new Error(`expected success, got HTTP ${answer.status}: ${answer.text}`);
  return body.data as T;
}

export async function anonymousToken(base: string, clientId: string = randomUUID(), ip?: string): Promise<{ token: string; userId: string }> {
  const data = dataOf<{ token: string; user_id: string }>(
    await call(base, "POST", "/api/auth/anonymous-token", { headers: { "x-client-id": clientId, ...(ip ? { "x-forwarded-for": ip } : {}) } }),
  );
  return { token: data.token, userId: data.user_id };
}

export async function newSession(base: string, token: string, language = "en"): Promise<string> {
  const data = dataOf<{ session_id: string }>(
    await call(base, "POST", "/api/tasks/me/with-session/nemo_agent", { token, body: { task_name: "project", language } }),
  );
  return data.session_id;
}

export async function user(base: string, language = "en"): Promise<{ token: string; sessionId: string; userId: string }> {
  const { token, userId } = await anonymousToken(base);
  return { token, userId, sessionId: await newSession(base, token, language) };
}

export interface StreamResult {
  status: number;
  contentType: string;
  raw: string;
  /** `data:` payloads that parse as JSON objects. */
  events: Record<string, unknown>[];
  /** `data:` payloads that do not parse (and are not empty). */
  invalid: string[];
  /** Keep-alives: empty `data:` frames and `:` comment frames. */
  heartbeats: number;
  /** Set when the connection broke instead of ending. */
  error: Error | undefined;
}

export async function runSse(base: string, token: string, sessionId: string, text: string): Promise<StreamResult> {
  const res = await request(`${base}/run_sse`, {
    method: "POST",
    headers: { ...ATTRIBUTION, authorization: `Bearer ${token}`, accept: "text/event-stream", "content-type": "application/json" },
    body: JSON.stringify({ app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { parts: [{ text }] } }),
    bodyTimeout: 0,
  });
  let raw = "";
  let error: Error | undefined;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) raw += chunk.toString("utf8");
  } catch (e) {
    error = e as Error;
  }
  const result: StreamResult = { status: res.statusCode, contentType: String(res.headers["content-type"]), raw, events: [], invalid: [], heartbeats: 0, error };
  for (const frame of raw.split("\n\n")) {
    if (frame === "") continue;
    if (frame.startsWith(":")) {
      result.heartbeats += 1;
      continue;
    }
    const payload = frame.replace(/^data:\s?/, "");
    if (payload.trim() === "") {
      result.heartbeats += 1;
      continue;
    }
    try {
      const parsed = JSON.parse(payload) as unknown;
      if (typeof parsed === "object" && parsed !== null) result.events.push(parsed as Record<string, unknown>);
      else result.invalid.push(payload);
    } catch {
      result.invalid.push(payload);
    }
  }
  return result;
}

type Part = { text?: string; functionCall?: { name: string }; functionResponse?: { name: string } };
const partsOf = (event: Record<string, unknown>): Part[] => ((event.content as { parts?: Part[] } | undefined)?.parts ?? []);

/** The text the user would read. */
export function textOf(stream: StreamResult): string {
  return stream.events.flatMap(partsOf).map((p) => p.text ?? "").join("");
}
export function toolCalls(stream: StreamResult): string[] {
  return stream.events.flatMap(partsOf).flatMap((p) => (p.functionCall ? [p.functionCall.name] : []));
}

export async function state(base: string, token: string, sessionId: string): Promise<{ draft: Draft; raw: Record<string, unknown> }> {
  const data = dataOf<{ state: { draft: Draft } }>(await call(base, "GET", `/api/state/nemo_agent/me/${sessionId}/latest`, { token }));
  return { draft: data.state.draft, raw: data as unknown as Record<string, unknown> };
}

export interface Segment {
  id?: string;
  n?: string;
  s: number;
  d: number;
  src?: string;
  ss?: number;
  v?: number;
  txt?: string;
}
export interface Track {
  tt: number;
  k?: string;
  sg: Segment[];
}
export interface Draft {
  t: Track[];
  d: number;
  m: { title?: string; width: number; height: number; ratio: string };
}

export const videoTrack = (d: Draft) => d.t.find((t) => t.tt === 0);
export const audioTrack = (d: Draft) => d.t.find((t) => t.tt === 1);
export const titleTrack = (d: Draft) => d.t.find((t) => t.tt === 7 && t.k !== "captions");
export const captionTrack = (d: Draft) => d.t.find((t) => t.tt === 7 && t.k === "captions");

/** A multipart body streamed from files on disk in small, oddly sized chunks (boundaries split across them). */
export function multipartStream(paths: string[], boundary: string, options: { field?: string; chunk?: number } = {}): Readable {
  const field = options.field ?? "files";
  async function* generate(): AsyncGenerator<Buffer> {
    for (const path of paths) {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${basename(path)}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      for await (const chunk of createReadStream(path, { highWaterMark: options.chunk ?? 7919 }) as AsyncIterable<Buffer>) yield chunk;
      yield Buffer.from("\r\n");
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(generate());
}

export async function uploadFiles(base: string, token: string, sessionId: string, paths: string[]): Promise<Answer> {
  const boundary = `----emulator-test-${randomUUID()}`;
  const res = await request(`${base}/api/upload-video/nemo_agent/me/${sessionId}`, {
    method: "POST",
    headers: { ...ATTRIBUTION, authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}` },
    body: multipartStream(paths, boundary),
  });
  return readAnswer(res);
}

/** Polls until check returns a value (no timing assertion: the test timeout is the limit). */
export async function waitFor<T>(check: () => Promise<T | undefined>, intervalMs = 20): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
