import type { Handler } from "./context.js";
import { anonymousToken, createSession, credits } from "./routes-account.js";
import { addFaults, clearFaults, counters, dropSession, expireToken, health, listFaults, resetCounters, viewSession } from "./routes-control.js";
import { cdnGenerated, cdnRender, cdnUpload, renderCancel, renderDownload, renderStart, renderStatus } from "./routes-render.js";
import { runSse, state, upload } from "./routes-session.js";
import type { RouteName } from "./types.js";

/** The emulator's routes: the backend contract, its CDN, and `/__emulator` control. */

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** Backend routes are counted (and faults aim at them) by name. */
  name?: RouteName;
}

const seg = "([^/]+)";

export const ROUTES: Route[] = [
  { method: "POST", pattern: /^\/api\/auth\/anonymous-token\/?$/, handler: anonymousToken, name: "anonymous-token" },
  { method: "POST", pattern: /^\/api\/tasks\/me\/with-session\/nemo_agent\/?$/, handler: createSession, name: "create-session" },
  { method: "POST", pattern: /^\/run_sse\/?$/, handler: runSse, name: "run-sse" },
  { method: "POST", pattern: new RegExp(`^/api/upload-video/nemo_agent/${seg}/${seg}/?$`), handler: (req, res, p, ctx) => upload(req, res, [p[1]!], ctx), name: "upload" },
  { method: "GET", pattern: /^\/api\/credits\/balance\/simple\/?$/, handler: credits, name: "credits" },
  { method: "GET", pattern: new RegExp(`^/api/state/nemo_agent/${seg}/${seg}/latest/?$`), handler: (req, res, p, ctx) => state(req, res, [p[1]!], ctx), name: "state" },
  { method: "POST", pattern: /^\/api\/render\/proxy\/lambda\/?$/, handler: renderStart, name: "render-start" },
  { method: "POST", pattern: new RegExp(`^/api/render/proxy/lambda/${seg}/cancel/?$`), handler: renderCancel, name: "render-cancel" },
  { method: "GET", pattern: new RegExp(`^/api/render/proxy/lambda/${seg}/?$`), handler: renderStatus, name: "render-status" },
  { method: "GET", pattern: new RegExp(`^/api/render/proxy/${seg}/download/?$`), handler: renderDownload, name: "download" },
  { method: "GET", pattern: /^\/cdn\/renders\/([^/]+)\.mp4$/, handler: cdnRender, name: "download" },
  { method: "GET", pattern: new RegExp(`^/cdn/u/${seg}/${seg}$`), handler: cdnUpload },
  { method: "GET", pattern: /^\/cdn\/g\/([^/]+)\.mp4$/, handler: cdnGenerated },

  { method: "GET", pattern: /^\/__emulator\/health\/?$/, handler: health },
  { method: "POST", pattern: /^\/__emulator\/faults\/?$/, handler: addFaults },
  { method: "GET", pattern: /^\/__emulator\/faults\/?$/, handler: listFaults },
  { method: "DELETE", pattern: /^\/__emulator\/faults\/?$/, handler: clearFaults },
  { method: "GET", pattern: /^\/__emulator\/counters\/?$/, handler: counters },
  { method: "DELETE", pattern: /^\/__emulator\/counters\/?$/, handler: resetCounters },
  { method: "POST", pattern: /^\/__emulator\/expire-token\/?$/, handler: expireToken },
  { method: "POST", pattern: /^\/__emulator\/drop-session\/?$/, handler: dropSession },
  { method: "GET", pattern: new RegExp(`^/__emulator/sessions/${seg}/?$`), handler: viewSession },
];

export function matchRoute(method: string, path: string): { route: Route; params: string[] } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const wanted = method === "HEAD" ? "GET" : method;
    if (route.method === wanted) return { route, params: match.slice(1) };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
