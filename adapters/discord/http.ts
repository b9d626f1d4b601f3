import { STATUS_CODES } from "node:http";
import type { RESTOptions, ResponseLike } from "@discordjs/rest";
import { Agent, FormData, request, type Dispatcher } from "undici";

/**
 * How every Discord HTTP call of this process travels: over our undici (7) with an Agent of our own.
 *
 * Why not @discordjs/rest's default: it sends through the undici 6 it ships with, on whichever
 * dispatcher the process installed globally first. undici 7 installs its own as soon as it loads
 * (our NemoVideo client uses it), and undici 7 cannot encode the FormData that undici 6 and Node
 * build, so every post with a file failed with "TypeError: action is not a function". Here the
 * request function, the dispatcher and the FormData all come from the same undici, so nothing
 * depends on the global dispatcher or on the order in which modules load.
 */

let shared: Agent | undefined;

/** One connection pool for Discord's REST API and CDN in this process. */
export function discordAgent(): Agent {
  shared ??= new Agent();
  return shared;
}

type MakeRequest = RESTOptions["makeRequest"];
type RequestInit = Parameters<MakeRequest>[1];

/** A `makeRequest` for `new REST({ makeRequest })` and discord.js's `rest` option. */
export function discordRequest(dispatcher: Dispatcher = discordAgent()): MakeRequest {
  return async function makeRequest(url: string, init: RequestInit): Promise<ResponseLike> {
    const response = await request(url, {
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      headers: headerRecord(init.headers),
      body: bodyFor(init.body),
      ...(init.signal ? { signal: init.signal } : {}),
      dispatcher,
    });
    const body = response.body;
    return {
      body,
      arrayBuffer: () => body.arrayBuffer(),
      json: () => body.json(),
      text: () => body.text(),
      get bodyUsed() {
        return body.bodyUsed;
      },
      headers: toHeaders(response.headers),
      status: response.statusCode,
      statusText: STATUS_CODES[response.statusCode] ?? "",
      ok: response.statusCode >= 200 && response.statusCode < 300,
    };
  };
}

type Body = string | Buffer | Uint8Array | FormData | null;

/**
 * What @discordjs/rest hands over: a JSON string, or (with files) a FormData built from the
 * global FormData class, which only the undici that made it can encode. Its parts are copied
 * into our undici's FormData, which sends them with a content length, as before.
 */
function bodyFor(init: RequestInit["body"]): Body {
  const body: unknown = init;
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof FormData) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (isFormDataLike(body)) {
    const form = new FormData();
    for (const [name, value] of body.entries()) {
      if (typeof value === "string") form.append(name, value);
      else form.append(name, value, value.name);
    }
    return form;
  }
  throw new TypeError(`A Discord request body of an unexpected kind: ${Object.prototype.toString.call(body)}`);
}

interface FormDataLike {
  entries(): IterableIterator<[string, string | File]>;
}

function isFormDataLike(value: unknown): value is FormDataLike {
  return typeof value === "object" && value !== null && (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "FormData";
}

/** @discordjs/rest passes a plain object; a Headers or an entry list is read just as well. */
function headerRecord(init: RequestInit["headers"]): Record<string, string> {
  const headers: unknown = init;
  const out: Record<string, string> = {};
  if (headers === null || typeof headers !== "object") return out;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers as Array<[string, string]>) out[name] = value;
  } else if (typeof (headers as { forEach?: unknown }).forEach === "function") {
    (headers as { forEach(fn: (value: string, name: string) => void): void }).forEach((value, name) => (out[name] = value));
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      if (typeof value === "string") out[name] = value;
      else if (Array.isArray(value)) out[name] = value.join(", ");
    }
  }
  return out;
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}
