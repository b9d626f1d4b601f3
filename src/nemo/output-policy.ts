import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Where a render's output may be fetched from (and which URL may be posted as its link). A render
 * status names its output URL, and an answer can name anything: the bot's own /metrics, a cloud
 * metadata address, a path on the API that would receive the user's token. So:
 *
 * - an output URL is followed only to the backend's own origin or to a configured CDN host;
 * - it never gets the user's token (only the authenticated download endpoint of the API does);
 * - no connection goes to a loopback, private, link-local or otherwise special address, whatever
 *   the name (the resolved address is checked when connecting, see guarded-agent.ts), except for
 *   the configured backend's own host name: tests and the demo run the backend on 127.0.0.1, and
 *   an operator may run it on a private network. That one name is the only exception.
 */

export interface OutputPolicyOptions {
  /** NEMO_API_BASE. */
  apiBase: string;
  /**
   * NEMO_CDN_HOSTS: host names served over HTTPS (`cdn.example.com`, `*.example.com` for any
   * subdomain), or exact origins (`http://127.0.0.1:8788`).
   */
  cdnHosts: readonly string[];
}

export type OutputVerdict = { ok: true; url: URL } | { ok: false; reason: string };

interface HostPattern {
  kind: "host" | "suffix" | "origin";
  value: string;
}

export class OutputUrlPolicy {
  private readonly api: URL;
  private readonly patterns: HostPattern[];

  constructor(options: OutputPolicyOptions) {
    this.api = new URL(options.apiBase);
    this.patterns = options.cdnHosts.map(parsePattern).filter((p): p is HostPattern => p !== undefined);
  }

  /** Whether `url` is on the API's own origin (the only place the user's token may go). */
  isApi(url: URL): boolean {
    return url.origin === this.api.origin;
  }

  /** Host names that may resolve to a private or loopback address: the configured backend's only. */
  mayBePrivate(hostname: string): boolean {
    return bareHost(hostname) === bareHost(this.api.hostname);
  }

  /** Whether the bot may request `url` (an output URL, or a redirect on the way to one). */
  check(raw: string | URL, base?: URL): OutputVerdict {
    let url: URL;
    try {
      url = typeof raw === "string" ? new URL(raw, base ?? this.api) : raw;
    } catch {
      return { ok: false, reason: "not a URL" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: `scheme ${url.protocol}` };
    if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials in the URL" };
    if (!this.isApi(url) && !this.patterns.some((p) => matches(p, url))) {
      return { ok: false, reason: `host ${url.host} is neither the backend nor a configured CDN host` };
    }
    // An address written in the URL is never looked up, so the connect-time check cannot see it.
    const host = bareHost(url.hostname);
    if (isIP(host) !== 0 && !isPublicAddress(host) && !this.mayBePrivate(host)) {
      return { ok: false, reason: `address ${host} is not public` };
    }
    return { ok: true, url };
  }

  /** The URL as a link for the user when it is the backend's or its CDN's, else undefined. */
  publicLink(outputUrl: string | undefined): string | undefined {
    if (outputUrl === undefined) return undefined;
    const verdict = this.check(outputUrl);
    return verdict.ok ? verdict.url.href : undefined;
  }
}

/** True for a globally routable unicast address; false for loopback, private, link-local, CGNAT, multicast, reserved… */
export function isPublicAddress(address: string): boolean {
  const host = bareHost(address);
  if (!ipaddr.isValid(host)) return false;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
  return ipaddr.process(host).range() === "unicast";
}

function bareHost(hostname: string): string {
  const lower = hostname.toLowerCase();
  const unbracketed = lower.startsWith("[") && lower.endsWith("]") ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith(".") ? unbracketed.slice(0, -1) : unbracketed;
}

function parsePattern(entry: string): HostPattern | undefined {
  const text = entry.trim().toLowerCase();
  if (text === "") return undefined;
  if (/^https?:\/\//.test(text)) {
    try {
      return { kind: "origin", value: new URL(text).origin };
    } catch {
      return undefined;
    }
  }
  if (text.startsWith("*.")) return { kind: "suffix", value: text.slice(1) };
  return { kind: "host", value: text };
}

function matches(pattern: HostPattern, url: URL): boolean {
  if (pattern.kind === "origin") return url.origin === pattern.value;
  // A bare host name means HTTPS on its default port: a CDN link is never plain HTTP.
  if (url.protocol !== "https:" || url.port !== "") return false;
  const host = bareHost(url.hostname);
  return pattern.kind === "host" ? host === pattern.value : host.endsWith(pattern.value) && host.length > pattern.value.length;
}
