import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { BodyTooLargeError, readBody } from "../../src/ops/body-limit.js";
import { refuseTooLarge } from "../../src/ops/http-server.js";
import type { UpdateInbox } from "./inbox.js";

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
 * How many updates Telegram may POST at once: the most it allows (1–100; unset, Telegram uses 40).
 * Each answer waits for the update to be written to the inbox (one Redis round trip; the handling's
 * own when the inbox is full), so the bot's ingress is 100 ÷ that time however many cores it has.
 */
export const WEBHOOK_MAX_CONNECTIONS = 100;

/** `secret`: the configured secret's bytes, made once (every request is checked). */
function sameSecret(given: string | undefined, secret: Buffer): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  return a.length === secret.length && timingSafeEqual(a, secret);
}

/**
 * A webhook: Telegram POSTs each update to `url`; a request without the secret token
 * (`X-Telegram-Bot-Api-Secret-Token`) is refused. The update is written to the inbox (inbox.ts) and
 * answered 200 before it is handled; when the inbox is full (`maxInHand`) it is answered after
 * handling, and when Redis cannot take it, 503: Telegram retries.
 */
export function webhookConnection(bot: Bot, inbox: UpdateInbox, options: { url: string; secret: string; timeoutMs?: number }): Connection {
  let running = false;
  const timeoutMs = options.timeoutMs ?? 9_000;
  const secret = Buffer.from(options.secret);
  const handleUpdate = (update: Update) => bot.handleUpdate(update);

  /** Answers after handling (the inbox is full): a slow handler must not make Telegram resend, so 200 after `timeoutMs` anyway. */
  async function handleThenAnswer(update: Update, res: ServerResponse): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([handleUpdate(update), timeout]);
    } finally {
      clearTimeout(timer);
    }
    res.writeHead(200).end();
  }

  return {
    webhookHandler: async (req, res) => {
      if (!running) {
        res.writeHead(503).end();
        return;
      }
      if (!sameSecret(firstHeader(req.headers[SECRET_HEADER]), secret)) {
        res.writeHead(401).end("secret token is wrong");
        return;
      }
      let body: string;
      let update: Update;
      try {
        body = (await readBody(req)).toString("utf8");
        update = JSON.parse(body) as Update;
      } catch (error) {
        if (error instanceof BodyTooLargeError) refuseTooLarge(res);
        else if (error instanceof SyntaxError) res.writeHead(400).end("not JSON");
        else throw error;
        return;
      }
      if (typeof update !== "object" || update === null || typeof update.update_id !== "number") {
        res.writeHead(400).end("not an update");
        return;
      }
      if (!inbox.hasRoom()) {
        await handleThenAnswer(update, res);
        return;
      }
      if (!(await inbox.accept(update.update_id, body))) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200).end();
      void inbox.handle(update.update_id, () => handleUpdate(update));
    },
    async start() {
      await bot.init();
      await bot.api.setWebhook(options.url, { secret_token: options.secret, allowed_updates: [...ALLOWED_UPDATES], max_connections: WEBHOOK_MAX_CONNECTIONS });
      running = true;
      inbox.startSweeping(handleUpdate);
    },
    async stop(drain) {
      // The webhook stays registered: updates wait at Telegram until the next start.
      running = false;
      await Promise.all([inbox.stop(), drain()]);
    },
    healthy: () => running,
  };
}
