import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { NemoError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { readAnonymousToken, readCreatedSession, readCredits, readSessionState, readUploadResult } from "./answers.js";
import { NemoHttp } from "./http.js";
import { multipartBody } from "./multipart.js";
import { normalizeRenderStatus } from "./render-status.js";
import { streamTurn } from "./turn-stream.js";
import type {
  AnonymousToken,
  CreatedSession,
  Credits,
  NemoApi,
  NemoAuth,
  RenderRequest,
  RenderStatus,
  SessionState,
  TurnEvent,
  TurnOptions,
  UploadResult,
  UploadSource,
} from "./types.js";

export interface NemoClientOptions {
  baseUrl: string;
  skill: { source: string; version: string };
  /** X-Skill-Platform: clawhub, cursor or unknown. */
  platform: string;
  requestTimeoutMs: number;
  uploadTimeoutMs: number;
  retryAfter429Ms: number;
  turnTimeoutMs: number;
  silentTimeoutMs: number;
  logger?: Logger;
  /** undici dispatcher (an Agent with its own limits); default undici's global one. */
  dispatcher?: Dispatcher;
}

const DEFAULT_OUTPUT = { format: "mp4", quality: "high" } as const;

/** The one typed client for every NemoVideo endpoint (../../shared/nemovideo-api.md). */
export class NemoClient implements NemoApi {
  private readonly http: NemoHttp;
  private readonly options: NemoClientOptions;
  private readonly logger: Logger;

  constructor(options: NemoClientOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.http = new NemoHttp({ ...options, logger: this.logger });
  }

  async anonymousToken(clientId: string): Promise<AnonymousToken> {
    const data = await this.http.call({
      method: "POST",
      path: "/api/auth/anonymous-token",
      headers: clientId ? { "x-client-id": clientId } : {},
      anonymous: true,
    });
    return readAnonymousToken(data);
  }

  async createSession(auth: NemoAuth, options: { language: string }): Promise<CreatedSession> {
    const { data, text } = await this.http.callWithText({
      method: "POST",
      path: "/api/tasks/me/with-session/nemo_agent",
      auth,
      json: { task_name: "project", language: options.language },
    });
    return readCreatedSession(data, text);
  }

  /** See turn-stream.ts: never retried; errors before the stream are thrown before the first event. */
  streamTurn(auth: NemoAuth, sessionId: string, text: string, options?: TurnOptions): AsyncIterable<TurnEvent> {
    return streamTurn(
      this.http,
      {
        turnTimeoutMs: this.options.turnTimeoutMs,
        silentTimeoutMs: this.options.silentTimeoutMs,
        headersTimeoutMs: this.options.requestTimeoutMs,
      },
      auth,
      sessionId,
      text,
      options,
    );
  }

  /** Multipart, streamed from each source's `open()`; nothing is held in memory. */
  async uploadFiles(
    auth: NemoAuth,
    sessionId: string,
    files: UploadSource[],
    options: { signal?: AbortSignal } = {},
  ): Promise<UploadResult> {
    if (files.length === 0) throw new NemoError("bad_request", "upload: no files given");
    const body = multipartBody(files);
    const data = await this.http.call({
      method: "POST",
      path: uploadPath(sessionId),
      auth,
      body: {
        contentType: body.contentType,
        contentLength: body.contentLength,
        open: () => Readable.from(body.stream(), { objectMode: false }),
      },
      timeoutMs: this.options.uploadTimeoutMs,
      signal: options.signal,
    });
    return readUploadResult(data);
  }

  async uploadUrls(auth: NemoAuth, sessionId: string, urls: string[]): Promise<UploadResult> {
    const data = await this.http.call({
      method: "POST",
      path: uploadPath(sessionId),
      auth,
      json: { urls, source_type: "url" },
      timeoutMs: this.options.uploadTimeoutMs,
    });
    return readUploadResult(data);
  }

  async credits(auth: NemoAuth): Promise<Credits> {
    return readCredits(await this.http.call({ method: "GET", path: "/api/credits/balance/simple", auth }));
  }

  async state(auth: NemoAuth, sessionId: string): Promise<SessionState> {
    const data = await this.http.call({
      method: "GET",
      path: `/api/state/nemo_agent/me/${encodeURIComponent(sessionId)}/latest`,
      auth,
    });
    return readSessionState(data, sessionId);
  }

  async startRender(auth: NemoAuth, request: RenderRequest): Promise<RenderStatus> {
    const data = await this.http.call({
      method: "POST",
      path: "/api/render/proxy/lambda",
      auth,
      // The contract spells this one camelCase: `sessionId`.
      json: { id: request.id, sessionId: request.sessionId, draft: request.draft, output: request.output ?? DEFAULT_OUTPUT },
    });
    return normalizeRenderStatus(data, request.id, "pending");
  }

  async renderStatus(auth: NemoAuth, renderId: string): Promise<RenderStatus> {
    const data = await this.http.call({ method: "GET", path: `/api/render/proxy/lambda/${encodeURIComponent(renderId)}`, auth });
    return normalizeRenderStatus(data, renderId);
  }

  async cancelRender(auth: NemoAuth, renderId: string): Promise<void> {
    await this.http.call({ method: "POST", path: `/api/render/proxy/lambda/${encodeURIComponent(renderId)}/cancel`, auth });
  }

  /**
   * The MP4 as a stream. From `outputUrl` when given (the token goes only to the backend's own host);
   * when that URL cannot be fetched, from the authenticated download endpoint instead.
   */
  async downloadRender(
    auth: NemoAuth,
    renderId: string,
    outputUrl?: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ body: Readable; size?: number }> {
    const proxyPath = `/api/render/proxy/${encodeURIComponent(renderId)}/download`;
    const direct = outputUrl ? this.resolveOutputUrl(outputUrl) : undefined;
    if (direct) {
      try {
        return await this.fetchStream(direct.href, this.http.sameOrigin(direct) ? auth : undefined, options.signal);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        this.logger.warn({ renderId, code: error instanceof NemoError ? error.code : "error" }, "nemo: output URL failed, using the download endpoint");
      }
    }
    return this.fetchStream(proxyPath, auth, options.signal);
  }

  private resolveOutputUrl(outputUrl: string): URL | undefined {
    try {
      const url = new URL(outputUrl, this.http.url("/"));
      return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
    } catch {
      return undefined;
    }
  }

  private async fetchStream(path: string, auth: NemoAuth | undefined, signal: AbortSignal | undefined): Promise<{ body: Readable; size?: number }> {
    // No total limit (a large file takes as long as it takes); undici's idle limits catch a stalled transfer.
    const answer = await this.http.open({
      method: "GET",
      path,
      auth,
      signal,
      headersTimeoutMs: this.options.requestTimeoutMs,
      bodyTimeoutMs: this.options.requestTimeoutMs,
    });
    const body = answer.body;
    body.once("close", answer.done);
    const length = Number(answer.headers["content-length"]);
    return Number.isFinite(length) && length >= 0 ? { body, size: length } : { body };
  }
}

function uploadPath(sessionId: string): string {
  return `/api/upload-video/nemo_agent/me/${encodeURIComponent(sessionId)}`;
}
