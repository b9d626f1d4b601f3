import { createReadStream, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseBody, readBody, type ParsedBody } from "./body.js";
import { DISCORD_ERRORS, type DiscordErrorSpec } from "./errors.js";
import { GlobalLimit } from "./global-limit.js";
import { messagePayload } from "./payloads.js";
import { RouteLimits, type RouteLimitOptions } from "./route-limits.js";
import { snowflake } from "./snowflake.js";
import type { FakeInteraction, FakeMessage, FakeStore } from "./store.js";

/** Discord's REST routes as the fake serves them, under /api/v10, plus a CDN for attachment bytes. */
export interface RestOptions {
  applicationId: string;
  botUserId: string;
  baseUrl: () => string;
  wsUrl: () => string;
  /** Discord's rule: the first callback must come within 3 s of the dispatch, else 10062. */
  ackDeadlineMs: number;
  /** Files behind the CDN attachment URLs the fake hands out. */
  cdnFiles: Map<string, { path: string; contentType: string }>;
  /** Per-route buckets with their X-RateLimit headers (off: only the global limit is kept). */
  routeLimits?: RouteLimitOptions;
}

const LOADING = 1 << 7;
const EPHEMERAL = 1 << 6;
const MAX_CONTENT = 2000;
/** A bot's uploads: 10 MiB per message by default (more only in boosted servers), at most 10 files. */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const MAX_FILES = 10;
/** A `nonce` is an integer or a string of at most 25 characters. */
const MAX_NONCE_LENGTH = 25;
/**
 * Discord: with `enforce_nonce`, a message the same author created with the same nonce "in the past
 * few minutes" is returned instead of a new one. The fake's window: 3 minutes.
 */
export const NONCE_WINDOW_MS = 3 * 60_000;

function checkFiles(body: ParsedBody): void {
  const total = body.files.reduce((sum, f) => sum + f.bytes.length, 0);
  if (total > MAX_UPLOAD_BYTES || body.files.length > MAX_FILES) fail(DISCORD_ERRORS.entityTooLarge);
}

type Reply = { status: number; json?: unknown };

class DiscordFault extends Error {
  constructor(readonly spec: DiscordErrorSpec) {
    super(spec.message);
  }
}

const fail = (spec: DiscordErrorSpec): never => {
  throw new DiscordFault(spec);
};

/** The request's `nonce` as a string (Discord takes an integer or a string of up to 25 characters). */
function nonceOf(body: ParsedBody): string | undefined {
  const nonce = body.json.nonce;
  if (typeof nonce === "number" && Number.isInteger(nonce)) return String(nonce);
  if (typeof nonce !== "string") return undefined;
  if (nonce.length > MAX_NONCE_LENGTH) fail(DISCORD_ERRORS.nonceTooLong);
  return nonce;
}

export class FakeRest {
  private readonly globalLimit = new GlobalLimit();
  private readonly routeLimits: RouteLimits | undefined;
  /** A slow network: answers to requests carrying files are held back this long after the work is done. */
  private slowFiles: { ms: number; left: number } | undefined;
  /** Answers held back right now. */
  heldAnswers = 0;
  /** A gateway in front of Discord failing: answers to requests carrying files are replaced by this status. */
  private failedFiles: { status: number; left: number } | undefined;

  /** The next `times` requests with files are carried out, but answered `status` (a 502 from a proxy). */
  failFileAnswers(status: number, times: number): void {
    this.failedFiles = { status, left: times };
  }

  /** The next `times` requests with files are carried out at once but answered only after `ms`. */
  delayFileAnswers(ms: number, times: number): void {
    this.slowFiles = { ms, left: times };
  }

  constructor(
    private readonly store: FakeStore,
    private readonly options: RestOptions,
  ) {
    this.routeLimits = options.routeLimits ? new RouteLimits(options.routeLimits) : undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    // discord.js sends `@original` URL-encoded (%40original): match on the decoded path.
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? "GET";
    if (method === "GET" && path.startsWith("/cdn/")) return this.serveCdn(path, res);

    const raw = await readBody(req);
    // Only requests with the bot's token count against the global limit (interaction webhooks do not).
    const retryAfter = String(req.headers.authorization ?? "").startsWith("Bot ") ? this.globalLimit.admit() : undefined;
    if (retryAfter !== undefined) {
      this.store.requests.push({ method, path, at: Date.now(), status: 429, bodyText: "" });
      this.store.changed();
      res
        .writeHead(429, {
          "content-type": "application/json",
          "retry-after": String(Math.ceil(retryAfter)),
          "x-ratelimit-global": "true",
          "x-ratelimit-scope": "global",
        })
        .end(JSON.stringify({ message: "You are being rate limited.", retry_after: retryAfter, global: true }));
      return;
    }
    const route = this.routeLimits?.admit(method, path);
    const routeHeaders = route?.headers ?? {};
    if (route?.retryAfter !== undefined) {
      this.store.requests.push({ method, path, at: Date.now(), status: 429, bodyText: "" });
      this.store.changed();
      res
        .writeHead(429, {
          "content-type": "application/json",
          "retry-after": String(Math.ceil(route.retryAfter)),
          "x-ratelimit-scope": "user",
          ...routeHeaders,
        })
        .end(JSON.stringify({ message: "You are being rate limited.", retry_after: route.retryAfter, global: false }));
      return;
    }
    let body: ParsedBody = { json: {}, text: "", files: [] };
    let reply: Reply;
    try {
      body = await parseBody(req.headers["content-type"], raw);
      reply = this.route(method, path.replace(/^\/api\/v10/, ""), url.searchParams, body);
    } catch (error) {
      const spec = error instanceof DiscordFault ? error.spec : { status: 400, code: 50109, message: String(error) };
      reply = { status: spec.status, json: { code: spec.code, message: spec.message } };
    }
    this.store.requests.push({ method, path, at: Date.now(), status: reply.status, bodyText: body.text });
    this.store.changed();
    if (body.files.length > 0 && this.slowFiles && this.slowFiles.left > 0) {
      // The message exists already; only its answer is late (a client that gave up never sees it).
      this.slowFiles.left -= 1;
      this.heldAnswers += 1;
      await new Promise((resolve) => setTimeout(resolve, this.slowFiles?.ms ?? 0));
      this.heldAnswers -= 1;
      this.store.changed();
      if (res.destroyed) return;
    }
    if (body.files.length > 0 && this.failedFiles && this.failedFiles.left > 0) {
      // The message exists already; its answer is lost on the way.
      this.failedFiles.left -= 1;
      res.writeHead(this.failedFiles.status, { "content-type": "text/html" }).end("<html>Bad Gateway</html>");
      return;
    }
    if (reply.json === undefined) {
      res.writeHead(reply.status, routeHeaders).end();
    } else {
      res.writeHead(reply.status, { "content-type": "application/json", ...routeHeaders }).end(JSON.stringify(reply.json));
    }
  }

  private route(method: string, path: string, query: URLSearchParams, body: ParsedBody): Reply {
    let m: RegExpMatchArray | null;
    if (method === "GET" && path === "/gateway/bot") {
      return {
        status: 200,
        json: {
          url: this.options.wsUrl(),
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        },
      };
    }
    if (method === "POST" && (m = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      return this.callback(m[1]!, m[2]!, query, body);
    }
    if ((m = path.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/))) {
      const interaction = this.validToken(m[2]!);
      const id = m[3] === "@original" ? interaction.originalId : m[3]!;
      const message = id === undefined ? undefined : this.store.messages.get(id);
      if (!message || message.deleted || message.interactionId !== interaction.id) return fail(DISCORD_ERRORS.unknownMessage);
      if (method === "GET") return this.ok(message);
      if (method === "PATCH") return this.ok(this.edit(message, body));
      if (method === "DELETE") return this.remove(message);
    }
    if (method === "POST" && (m = path.match(/^\/webhooks\/(\d+)\/([^/]+)$/))) {
      const interaction = this.validToken(m[2]!);
      if (!interaction.callback) return fail(DISCORD_ERRORS.unknownWebhook);
      const message = this.create(interaction.channelId, "webhook", interaction.id, body);
      return query.get("wait") === "true" ? this.ok(message) : { status: 204 };
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages$/)) && method === "POST") {
      this.checkChannel(m[1]!);
      return this.ok(this.sameNonce(body) ?? this.create(m[1]!, "channel", undefined, body));
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      this.checkChannel(m[1]!);
      const message = this.store.messages.get(m[2]!);
      if (!message || message.deleted || message.channelId !== m[1]) return fail(DISCORD_ERRORS.unknownMessage);
      if (method === "PATCH") return this.ok(this.edit(message, body));
      if (method === "DELETE") return this.remove(message);
    }
    if (method === "POST" && (m = path.match(/^\/channels\/(\d+)\/typing$/))) {
      this.checkChannel(m[1]!);
      return { status: 204 };
    }
    if (method === "POST" && path === "/users/@me/channels") {
      const recipient = String(body.json.recipient_id ?? "");
      let channelId = this.store.dmChannels.get(recipient);
      if (!channelId) {
        channelId = snowflake();
        this.store.dmChannels.set(recipient, channelId);
      }
      return { status: 200, json: { id: channelId, type: 1, recipients: [{ id: recipient, username: `user${recipient.slice(-4)}` }] } };
    }
    if (method === "PUT" && (m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const commands = (Array.isArray(body.json) ? body.json : []) as Array<Record<string, unknown>>;
      const saved = commands.map((c) => ({ ...c, id: snowflake(), application_id: m![1], version: snowflake() }));
      this.store.registeredCommands.set(m[2] ?? "global", saved);
      return { status: 200, json: saved };
    }
    return fail(DISCORD_ERRORS.notFound);
  }

  private callback(id: string, token: string, query: URLSearchParams, body: ParsedBody): Reply {
    const interaction = this.store.interactions.get(id);
    if (!interaction || interaction.token !== token) return fail(DISCORD_ERRORS.unknownInteraction);
    if (interaction.callback) return fail(DISCORD_ERRORS.alreadyAcknowledged);
    const now = Date.now();
    if (now - interaction.dispatchedAt > this.options.ackDeadlineMs) return fail(DISCORD_ERRORS.unknownInteraction);
    const type = Number(body.json.type);
    const data = (body.json.data ?? {}) as Record<string, unknown>;
    const flags = Number(data.flags ?? 0);
    interaction.callback = { type, flags, at: now, afterMs: now - interaction.dispatchedAt };
    let message: FakeMessage | undefined;
    if (type === 4 || type === 5) {
      message = this.create(interaction.channelId, "webhook", interaction.id, { ...body, json: data });
      message.flags = (type === 5 ? LOADING : 0) | (flags & EPHEMERAL);
      interaction.originalId = message.id;
    }
    this.store.changed();
    if (query.get("with_response") !== "true") return { status: 204 };
    return {
      status: 200,
      json: {
        interaction: { id, type: interaction.type, response_message_loading: type === 5, response_message_ephemeral: (flags & EPHEMERAL) !== 0 },
        resource: { type, ...(message ? { message: this.payload(message) } : {}) },
      },
    };
  }

  private validToken(token: string): FakeInteraction {
    const interaction = this.store.interactionByToken(token);
    if (!interaction) return fail(DISCORD_ERRORS.unknownWebhook);
    if (Date.now() > interaction.tokenExpiresAt) return fail(DISCORD_ERRORS.invalidWebhookToken);
    return interaction;
  }

  private checkChannel(channelId: string): void {
    if (this.store.deniedChannels.has(channelId)) fail(DISCORD_ERRORS.missingAccess);
  }

  /**
   * Create Message's `enforce_nonce`: the message this author (the bot: every channel message the fake
   * holds is the bot's) created with the same nonce within the window, if any. Webhooks take no nonce.
   */
  private sameNonce(body: ParsedBody): FakeMessage | undefined {
    const nonce = nonceOf(body);
    if (nonce === undefined || body.json.enforce_nonce !== true) return undefined;
    const since = Date.now() - NONCE_WINDOW_MS;
    for (const message of this.store.messages.values()) {
      if (message.via === "channel" && message.nonce === nonce && message.createdAt >= since) return message;
    }
    return undefined;
  }

  private create(channelId: string, via: FakeMessage["via"], interactionId: string | undefined, body: ParsedBody): FakeMessage {
    const content = typeof body.json.content === "string" ? body.json.content : "";
    if (content.length > MAX_CONTENT) fail(DISCORD_ERRORS.tooLong);
    checkFiles(body);
    if (via === "channel") {
      for (const [userId, dm] of this.store.dmChannels) {
        if (dm === channelId && this.store.closedDms.has(userId)) fail(DISCORD_ERRORS.cannotDmUser);
      }
    }
    const message: FakeMessage = {
      id: snowflake(),
      channelId,
      via,
      interactionId,
      content,
      history: [],
      flags: Number(body.json.flags ?? 0),
      components: Array.isArray(body.json.components) ? body.json.components : [],
      files: body.files,
      deleted: false,
      createdAt: Date.now(),
      editedAt: undefined,
      nonce: via === "channel" ? nonceOf(body) : undefined,
    };
    this.store.messages.set(message.id, message);
    this.store.changed();
    return message;
  }

  private edit(message: FakeMessage, body: ParsedBody): FakeMessage {
    const json = body.json;
    checkFiles(body);
    if (typeof json.content === "string") {
      if (json.content.length > MAX_CONTENT) fail(DISCORD_ERRORS.tooLong);
      if (message.content !== "" || (message.flags & LOADING) === 0) message.history.push(message.content);
      message.content = json.content;
    }
    if (Array.isArray(json.components)) message.components = json.components;
    if (body.files.length > 0) message.files = body.files;
    else if (Array.isArray(json.attachments) && json.attachments.length === 0) message.files = [];
    message.flags &= ~LOADING;
    message.editedAt = Date.now();
    this.store.changed();
    return message;
  }

  private remove(message: FakeMessage): Reply {
    message.deleted = true;
    this.store.changed();
    return { status: 204 };
  }

  private ok(message: FakeMessage): Reply {
    return { status: 200, json: this.payload(message) };
  }

  private payload(message: FakeMessage) {
    return messagePayload(message, this.options.botUserId, this.options.baseUrl(), this.options.applicationId);
  }

  private serveCdn(path: string, res: ServerResponse): void {
    let m = path.match(/^\/cdn\/attachments\/(\d+)\//);
    if (m) {
      const file = this.options.cdnFiles.get(m[1]!);
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": file.contentType, "content-length": String(statSync(file.path).size) });
      createReadStream(file.path).pipe(res);
      return;
    }
    m = path.match(/^\/cdn\/sent\/(\d+)\/(\d+)\//);
    const file = m ? this.store.messages.get(m[1]!)?.files[Number(m[2])] : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.length) }).end(file.bytes);
  }
}
