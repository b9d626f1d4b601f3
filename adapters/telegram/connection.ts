import type { IncomingMessage, ServerResponse } from "node:http";
import type { RunnerHandle } from "@grammyjs/runner";
import { webhookCallback, type Bot } from "grammy";
import type { Update } from "grammy/types";
import { BodyTooLargeError, readBody } from "../../src/ops/body-limit.js";
import { refuseTooLarge } from "../../src/ops/http-server.js";
import type { Logger } from "../../src/log.js";
import { describeError } from "./describe-error.js";
import { runConfirming, UpdateOffsets } from "./polling.js";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The update kinds the bot acts on; Telegram sends nothing else. */
export const ALLOWED_UPDATES = ["message", "callback_query"] as const;

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** How updates reach the bot: long polling by default, a webhook when one is configured. */
export interface Connection {
  start(): Promise<void>;
  /** Stops taking updates, waits for `drain` (the handlers in flight), then lets Telegram forget what was handled. */
  stop(drain: () => Promise<void>): Promise<void>;
  healthy(): boolean;
  /** For the HTTP server, in webhook mode only. */
  readonly webhookHandler: WebhookHandler | undefined;
}

/**
 * Long polling with grammY's runner: updates are fetched while earlier ones are still being
 * handled, and `sequentialize` (installed on the bot) keeps each chat in order. Telegram is told to
 * forget an update only once it was handled (see polling.ts).
 */
export function pollingConnection(bot: Bot, logger: Logger): Connection {
  let runner: RunnerHandle | undefined;
  const offsets = new UpdateOffsets();
  return {
    webhookHandler: undefined,
    async start() {
      // A webhook left over from another deployment would make getUpdates fail with 409.
      await bot.api.deleteWebhook();
      const handle = runConfirming(bot, offsets, { allowedUpdates: ALLOWED_UPDATES, logger });
      runner = handle;
      handle.task()?.catch((error: unknown) => {
        logger.error({ error: describeError(error) }, "telegram polling stopped");
      });
    },
    async stop(drain) {
      const handle = runner;
      runner = undefined;
      if (handle?.isRunning()) await handle.stop();
      await drain();
      // Drained: nothing should be in hand; a stuck handler must not hold a shutdown for long.
      await offsets.settled(1_000);
      // The next fetch would confirm what was handled, and stop() cancelled it: without this call the
      // last updates would be handed out again after a restart (and dropped as handled, at a cost).
      const offset = offsets.offset();
      if (offset > 0) {
        await bot.api.getUpdates({ offset, limit: 1, timeout: 0 }).catch((error: unknown) => {
          logger.warn({ error: describeError(error) }, "telegram could not confirm the last updates");
        });
      }
    },
    healthy: () => runner?.isRunning() ?? false,
  };
}

/**
 * How many updates Telegram may POST at once: the most it allows (1–100; unset, Telegram uses 40).
 * Each answer waits for the update to be claimed and queued (a few Redis round trips), so with 40
 * connections the bot's ingress is 40 ÷ that time however many cores it has; the work itself is
 * queued, so 100 at once cost the bot little.
 */
export const WEBHOOK_MAX_CONNECTIONS = 100;

/**
 * A webhook: Telegram POSTs each update to `url`; the handler refuses any request without the
 * secret token (grammY compares `X-Telegram-Bot-Api-Secret-Token` on every call).
 */
export function webhookConnection(bot: Bot, options: { url: string; secret: string; timeoutMs?: number }): Connection {
  let running = false;
  // grammY's own "http" adapter reads a body of any size; this one stops at MAX_BODY_BYTES.
  const boundedHttp = (req: IncomingMessage, res: ServerResponse) => ({
    get update(): Promise<Update> {
      return readBody(req).then((body) => JSON.parse(body.toString("utf8")) as Update);
    },
    header: firstHeader(req.headers[SECRET_HEADER]),
    end: () => void res.end(),
    respond: (json: string) => void res.writeHead(200, { "content-type": "application/json" }).end(json),
    unauthorized: () => void res.writeHead(401).end("secret token is wrong"),
    handlerReturn: undefined,
  });
  const callback = webhookCallback(bot, boundedHttp, {
    secretToken: options.secret,
    // The router answers fast and long work is queued; a slow handler must not make Telegram resend.
    onTimeout: "return",
    timeoutMilliseconds: options.timeoutMs ?? 9_000,
  });
  return {
    webhookHandler: async (req, res) => {
      if (!running) {
        res.writeHead(503).end();
        return;
      }
      try {
        await callback(req, res);
      } catch (error) {
        if (error instanceof BodyTooLargeError) refuseTooLarge(res);
        else if (error instanceof SyntaxError) res.writeHead(400).end("not JSON");
        else throw error;
      }
    },
    async start() {
      await bot.init();
      await bot.api.setWebhook(options.url, { secret_token: options.secret, allowed_updates: [...ALLOWED_UPDATES], max_connections: WEBHOOK_MAX_CONNECTIONS });
      running = true;
    },
    async stop(drain) {
      // The webhook stays registered: updates wait at Telegram until the next start.
      running = false;
      await drain();
    },
    healthy: () => running,
  };
}
