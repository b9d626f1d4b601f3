import { timingSafeEqual, createHash } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { getRequestListener } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import { Hono } from "hono";
import { basicAuth } from "hono/basic-auth";
import type { RouteHandler } from "./http-server.js";

/** Where the dashboard lives on the HTTP server. */
export const BULL_BOARD_PATH = "/admin/queues";

export interface BullBoardOptions {
  queues: Queue[];
  /** BULL_BOARD_PASSWORD: HTTP basic auth, any user name. */
  password: string;
}

/**
 * A read-only bull-board for the operator: queue depths, job data and failures, no buttons that
 * retry, remove or promote (the mailboxes own job order; a click must not break it). bull-board has
 * no adapter for plain node:http, so a tiny Hono app (no dependencies of its own) serves it and
 * `getRequestListener` turns that app into a handler for our server.
 */
export function createBullBoardRoute(options: BullBoardOptions): RouteHandler {
  const board = new HonoAdapter(serveStatic).setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "NemoVideo bot queues" } },
  });

  const expected = digest(options.password);
  const app = new Hono();
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
  const guard = basicAuth({ verifyUser: (_user, password) => timingSafeEqual(digest(password), expected), realm: "nemo bot queues" });
  app.use(BULL_BOARD_PATH, guard);
  app.use(`${BULL_BOARD_PATH}/*`, guard);
  app.route(BULL_BOARD_PATH, board.registerPlugin());
  return getRequestListener(app.fetch);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
