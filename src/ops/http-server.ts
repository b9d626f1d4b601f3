import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.js";
import { declaresTooLarge } from "./body-limit.js";
import type { BotMetrics } from "./metrics.js";

export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: Record<string, HealthCheck>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  port: number;
  host?: string;
  metrics: BotMetrics;
  health: () => Promise<HealthReport>;
  /** Refreshes gauges read from Redis (queue depths) just before a scrape. */
  beforeScrape?: () => Promise<void>;
  /** Extra routes by exact path (the Telegram webhook, bull-board). */
  routes?: Record<string, RouteHandler>;
  logger: Logger;
}

export interface RunningHttpServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** /healthz, /metrics and the routes adapters contribute, on one plain node:http server. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: error, path: req.url }, "http handler failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/healthz" && req.method === "GET") {
      const report = await options.health();
      res.writeHead(report.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(report));
      return;
    }
    if (path === "/metrics" && req.method === "GET") {
      await options.beforeScrape?.().catch((error: unknown) => options.logger.warn({ err: error }, "metrics refresh failed"));
      const body = await options.metrics.registry.metrics();
      res.writeHead(200, { "content-type": options.metrics.registry.contentType });
      res.end(body);
      return;
    }
    // Nothing we serve takes a big body: refuse before any route reads a byte of it.
    if (declaresTooLarge(req)) {
      refuseTooLarge(res);
      return;
    }
    const route = Object.entries(options.routes ?? {}).find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
    if (route) {
      await route[1](req, res);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** 413, and the connection closed so the rest of the body is never read. */
export function refuseTooLarge(res: ServerResponse): void {
  if (!res.headersSent) res.writeHead(413, { "content-type": "text/plain", connection: "close" });
  res.end("request body too large");
}
