import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { NemoError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { readAnonymousToken, readCreatedSession, readCredits, readSessionState, readUploadResult } from "./answers.js";
import { downloadRender, type DownloadRequest, type DownloadResult } from "./download.js";
import { createDownloadAgent } from "./guarded-agent.js";
import { NemoHttp } from "./http.js";
import { multipartBody } from "./multipart.js";
import { OutputUrlPolicy } from "./output-policy.js";
import { normalizeRenderStatus } from "./render-status.js";
import { StreamWatchdog } from "./stream-watchdog.js";
import { openTurn, streamTurn, type TurnStreamSettings } from "./turn-stream.js";
import type {
  AnonymousToken,
  CreatedSession,
  Credits,
  NemoApi,
  NemoAuth,
  RenderRequest,
  RenderStatus,
  SessionState,
  OpenTurn,
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
  /** undici dispatcher (an Agent with its own limits); default an Agent of this client's own, never the global one. */
  dispatcher?: Dispatcher;
  /** Hosts a render's output URL may be on besides the backend's (NEMO_CDN_HOSTS). */
  cdnHosts?: readonly string[];
}

const DEFAULT_OUTPUT = { format: "mp4", quality: "high" } as const;

/** The one typed client for every NemoVideo endpoint (docs/backend-contract.md). */
export class NemoClient implements NemoApi {
  private readonly http: NemoHttp;
  private readonly options: NemoClientOptions;
  private readonly logger: Logger;
  private readonly outputPolicy: OutputUrlPolicy;
  /** Downloads of output URLs get their own pool with the guarded lookup (no private addresses). */
  private readonly downloadAgent: Dispatcher;
  /** The limits of every event stream and their one timer (see stream-watchdog.ts): one object that every open stream shares. */
  private readonly turnSettings: TurnStreamSettings;

  constructor(options: NemoClientOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.http = new NemoHttp({ ...options, logger: this.logger });
    this.outputPolicy = new OutputUrlPolicy({ apiBase: options.baseUrl, cdnHosts: options.cdnHosts ?? [] });
    this.downloadAgent = createDownloadAgent(this.outputPolicy);
    this.turnSettings = {
      turnTimeoutMs: options.turnTimeoutMs,
      silentTimeoutMs: options.silentTimeoutMs,
      headersTimeoutMs: options.requestTimeoutMs,
      watchdog: new StreamWatchdog({ turnTimeoutMs: options.turnTimeoutMs, silentTimeoutMs: options.silentTimeoutMs }),
    };
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
    return streamTurn(this.http, this.turnSettings, auth, sessionId, text, options);
  }

  /** See turn-stream.ts: resolves once the stream is open; its events then go to a listener. */
  openTurn(auth: NemoAuth, sessionId: string, text: string, options?: TurnOptions): Promise<OpenTurn> {
    return openTurn(this.http, this.turnSettings, auth, sessionId, text, options);
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

  /** The finished render as a checked MP4 file (see download.ts for the rules it keeps). */
  async downloadRender(auth: NemoAuth, request: DownloadRequest): Promise<DownloadResult> {
    return downloadRender(
      { http: this.http, policy: this.outputPolicy, dispatcher: this.downloadAgent, idleTimeoutMs: this.options.requestTimeoutMs, logger: this.logger },
      auth,
      request,
    );
  }

  /** The output URL as a link for the user, when it is the backend's or its CDN's; else undefined. */
  publicRenderLink(outputUrl: string | undefined): string | undefined {
    return this.outputPolicy.publicLink(outputUrl);
  }
}

function uploadPath(sessionId: string): string {
  return `/api/upload-video/nemo_agent/me/${encodeURIComponent(sessionId)}`;
}
