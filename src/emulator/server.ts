import { setMaxListeners } from "node:events";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../log.js";
import type { EmulatorContext } from "./context.js";
import { Counters } from "./counters.js";
import { EmulatorFaults } from "./faults.js";
import { cjkFontPath } from "./font.js";
import { sendJson } from "./http.js";
import { commandWorks, ProcessPool } from "./processes.js";
import { RenderBook } from "./renders.js";
import { matchRoute } from "./routes.js";
import { EmulatorStore } from "./store.js";
import type { Emulator, EmulatorOptions, EmulatorTiming } from "./types.js";
import { VideoMaker } from "./video-maker.js";
import { sessionView } from "./view.js";

export const DEFAULT_TIMING: EmulatorTiming = {
  turnStepMs: 400,
  heartbeatMs: 5000,
  renderMs: 3000,
  heartbeatOnlyMs: 11 * 60_000,
};

/** Starts the NemoVideo emulator: a real HTTP server on loopback that speaks the backend contract. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const logger = (options.logger ?? silentLogger).child({ component: "nemo-emulator" });
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "nemo-emulator-")));
  await mkdir(join(dataDir, "renders"), { recursive: true });
  const ffmpeg = options.ffmpeg ?? (await commandWorks("ffmpeg"));
  const ffprobe = ffmpeg && (await commandWorks("ffprobe"));
  const renderPool = ffmpeg ? new ProcessPool(options.ffmpegConcurrency ?? 2) : undefined;
  const probePool = ffprobe ? new ProcessPool(4) : undefined;
  const fontPath = cjkFontPath();
  const timing: EmulatorTiming = { ...DEFAULT_TIMING, ...options.timing };
  const abort = new AbortController();
  // Every running turn listens on this one signal (1,000 open streams in the benchmark).
  setMaxListeners(0, abort.signal);

  const ctx: EmulatorContext = {
    store: new EmulatorStore(options.startingCredits ?? 100, options.anonymousPerIpLimit ?? 10),
    faults: new EmulatorFaults(),
    counters: new Counters(),
    renders: new RenderBook(new VideoMaker(join(dataDir, "renders"), renderPool, logger, fontPath), options.renderShape ?? "alternate", options.markRenders ?? false),
    timing,
    logger,
    baseUrl: "",
    signal: abort.signal,
    uploads: {
      dir: join(dataDir, "uploads"),
      maxBytes: options.maxUploadBytes ?? 500 * 1024 * 1024,
      probePool,
      cdnUrl: (fileId, filename) => `${ctx.baseUrl}/cdn/u/${fileId}/${encodeURIComponent(filename)}`,
    },
    ffmpeg,
    fontPath,
    startedAt: Date.now(),
    openStreams: { count: 0 },
  };

  const server = createServer(
    // Streams last up to 15 minutes and uploads as long as they take: no request timeout.
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000, noDelay: true },
    (req, res) => void handle(req, res, ctx),
  );
  server.timeout = 0;
  server.maxHeadersCount = 200;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1", backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  ctx.baseUrl = `http://${host}:${address.port}`;
  logger.info({ url: ctx.baseUrl, ffmpeg }, "NemoVideo emulator listening (an emulator, not the real backend)");

  let closing: Promise<void> | undefined;
  return {
    url: ctx.baseUrl,
    port: address.port,
    faults: ctx.faults,
    counters: ctx.counters,
    expireToken: (token) => ctx.store.expireToken(token),
    dropSession: (sessionId) => ctx.store.dropSession(sessionId),
    session: (sessionId) => {
      const session = ctx.store.sessions.get(sessionId);
      return session ? sessionView(session) : undefined;
    },
    close: () => {
      closing ??= (async () => {
        abort.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([closed, renderPool?.close(), probePool?.close()]);
        if (ownsDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const method = req.method ?? "GET";
  try {
    const found = matchRoute(method, path);
    if (!found) return await sendJson(req, res, 404, { detail: "Not Found" });
    if ("allowed" in found) {
      res.setHeader("allow", found.allowed.join(", "));
      return await sendJson(req, res, 405, { detail: "Method Not Allowed" });
    }
    if (found.route.name) ctx.counters.recordRequest(found.route.name);
    await found.route.handler(req, res, found.params, ctx);
  } catch (error) {
    ctx.logger.error({ err: error, method, path }, "emulator route failed");
    if (!res.headersSent) await sendJson(req, res, 500, { detail: "Internal Server Error" });
    else res.destroy();
  }
}
