import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DownloadError } from "../../src/nemo/download.js";
import { guardedLookup, PrivateAddressError } from "../../src/nemo/guarded-agent.js";
import { isPublicAddress, OutputUrlPolicy } from "../../src/nemo/output-policy.js";
import { caught, sendJson, testClient, useLocalServers } from "./local-server.js";

const auth = { token: "nmv_usr_download_secret" };
/** A small MP4-shaped file: a box size, `ftyp`, then bytes that differ along the file. */
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from("ftypisom"), Buffer.from(Array.from({ length: 4000 }, (_, i) => i % 251))]);
const server = useLocalServers();
const dir = mkdtempSync(join(tmpdir(), "download-test-"));
let n = 0;
const target = () => join(dir, `render-${++n}.mp4`);

/** Serves MP4 like a CDN: whole, or the asked range with Content-Range and an ETag. */
function serveMp4(req: IncomingMessage, res: ServerResponse, body = MP4, etag = '"v1"'): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const ifRange = req.headers["if-range"];
  if (match && (ifRange === undefined || ifRange === etag)) {
    const start = Number(match[1]);
    res.writeHead(206, { "content-type": "video/mp4", "content-length": body.length - start, "content-range": `bytes ${start}-${body.length - 1}/${body.length}`, etag });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { "content-type": "video/mp4", "content-length": body.length, etag, "accept-ranges": "bytes" });
  res.end(body);
}

describe("where a render may be fetched from (SSRF)", () => {
  it("fetches an output URL on a configured CDN origin, without the Authorization header", async () => {
    const backend = await server((_req, res) => sendJson(res, 500, {}));
    const cdn = await server((req, res) => serveMp4(req, res));
    const path = target();
    const result = await testClient(backend.url, { cdnHosts: [cdn.url] }).downloadRender(auth, { renderId: "render_1", outputUrl: `${cdn.url}/out/render_1.mp4`, path, maxBytes: 1e6 });
    expect(result).toEqual({ kind: "done", size: MP4.length, source: "url" });
    expect(readFileSync(path).equals(MP4)).toBe(true);
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
    expect(backend.requests).toHaveLength(0);
  });

  it("never follows an output URL to another host: the bot's own /metrics is not fetched, the API's download endpoint is", async () => {
    const backend = await server((req, res) => serveMp4(req, res));
    const metrics = await server((_req, res) => sendJson(res, 200, { secret: "metrics" }));
    const path = target();
    const result = await testClient(backend.url).downloadRender(auth, { renderId: "render_2", outputUrl: `${metrics.url}/metrics`, path, maxBytes: 1e6 });
    expect(result).toMatchObject({ kind: "done", source: "api" });
    expect(metrics.requests).toHaveLength(0);
    expect(backend.requests.map((r) => r.path)).toEqual(["/api/render/proxy/render_2/download"]);
    expect(backend.requests[0]?.headers.authorization).toBe(`Bearer ${auth.token}`);
  });

  it("never sends the token to an output URL, even one on the API's origin with `..` in its path", async () => {
    const backend = await server((req, res) => (req.url?.includes("/download") ? serveMp4(req, res) : sendJson(res, 200, { code: 0, data: { available: 5 } })));
    const path = target();
    const result = await testClient(backend.url).downloadRender(auth, { renderId: "r3", outputUrl: `${backend.url}/cdn/../api/credits/balance/simple`, path, maxBytes: 1e6 });
    const credits = backend.requests.find((r) => r.path.startsWith("/api/credits"));
    expect(credits?.headers.authorization).toBeUndefined();
    // What came was JSON, not a video: it was dropped and the download endpoint used instead.
    expect(result).toMatchObject({ kind: "done", source: "api" });
    expect(readFileSync(path).equals(MP4)).toBe(true);
  });

  it("does not follow a CDN's redirect to a host that is not allowed", async () => {
    const backend = await server((req, res) => serveMp4(req, res));
    const inside = await server((_req, res) => sendJson(res, 200, { internal: true }));
    const cdn = await server((_req, res) => {
      res.writeHead(302, { location: `${inside.url}/latest/meta-data` });
      res.end();
    });
    const result = await testClient(backend.url, { cdnHosts: [cdn.url] }).downloadRender(auth, { renderId: "r4", outputUrl: `${cdn.url}/x.mp4`, path: target(), maxBytes: 1e6 });
    expect(result).toMatchObject({ kind: "done", source: "api" });
    expect(cdn.requests).toHaveLength(1);
    expect(inside.requests).toHaveLength(0);
  });

  it("checks the address a name resolves to: an allowed CDN name that resolves to loopback is refused", async () => {
    const backend = await server((req, res) => serveMp4(req, res));
    const cdn = await server((req, res) => serveMp4(req, res));
    const byName = cdn.url.replace("127.0.0.1", "localhost");
    const result = await testClient(backend.url, { cdnHosts: [byName] }).downloadRender(auth, { renderId: "r5", outputUrl: `${byName}/x.mp4`, path: target(), maxBytes: 1e6 });
    expect(result).toMatchObject({ kind: "done", source: "api" });
    expect(cdn.requests).toHaveLength(0);
  });

  it("the production policy: the backend and its CDN only, public addresses only", () => {
    const policy = new OutputUrlPolicy({ apiBase: "https://mega-api-prod.nemovideo.ai", cdnHosts: ["nemovideo.ai", "*.nemovideo.ai"] });
    expect(policy.check("https://cdn.nemovideo.ai/r/1.mp4").ok).toBe(true);
    expect(policy.check("https://mega-api-prod.nemovideo.ai/files/1.mp4").ok).toBe(true);
    for (const refused of [
      "http://127.0.0.1:8080/metrics",
      "http://cdn.nemovideo.ai/r/1.mp4", // plain HTTP
      "https://cdn.nemovideo.ai:8443/r/1.mp4",
      "https://169.254.169.254/latest/meta-data",
      "https://nemovideo.ai.attacker.example/x.mp4",
      "https://user:pw@cdn.nemovideo.ai/x.mp4",
      "file:///etc/passwd",
      "https://[::1]/x.mp4",
    ]) {
      expect(policy.check(refused).ok, refused).toBe(false);
    }
    expect(policy.publicLink("http://127.0.0.1:8787/cdn/renders/x.mp4")).toBeUndefined();
    expect(policy.publicLink("https://cdn.nemovideo.ai/r/1.mp4")).toBe("https://cdn.nemovideo.ai/r/1.mp4");
    // Only the configured backend's own name may resolve to a private address.
    expect(policy.mayBePrivate("mega-api-prod.nemovideo.ai")).toBe(true);
    expect(policy.mayBePrivate("cdn.nemovideo.ai")).toBe(false);
  });

  it("knows which addresses are public", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "224.0.0.1"]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(isPublicAddress(address), address).toBe(true);
  });

  it("the guarded lookup refuses a name resolving to loopback unless it is the configured backend's", async () => {
    const lookup = (allowed: boolean) =>
      new Promise<unknown>((resolve) => guardedLookup({ mayBePrivate: () => allowed })("localhost", { all: true }, (error, address) => resolve(error ?? address)));
    expect(await lookup(false)).toBeInstanceOf(PrivateAddressError);
    expect(await lookup(true)).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) as unknown })]));
  });
});

describe("checking what arrives", () => {
  it("bytes that are not an MP4 are never kept", async () => {
    const page = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>metrics</body></html>");
    };
    const backend = await server(page);
    const path = target();
    const error = await caught(() => testClient(backend.url).downloadRender(auth, { renderId: "r6", path, maxBytes: 1e6 }));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ code: "download_not_video", transient: false });
    expect(existsSync(path) || existsSync(`${path}.part`)).toBe(false);
  });

  it("stops at the size bound when no length was announced, and keeps nothing", async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    const backend = await server((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4" });
      res.write(MP4.subarray(0, 12));
      const more = () => {
        // 20 MB would follow if the client kept reading.
        while (sent < 20 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    const path = target();
    const result = await testClient(backend.url).downloadRender(auth, { renderId: "r7", path, maxBytes: 256 * 1024 });
    expect(result).toEqual({ kind: "too-large" });
    expect(existsSync(path) || existsSync(`${path}.part`)).toBe(false);
    // The transfer was cut, not read to its end.
    expect(sent).toBeLessThan(20 * 1024 * 1024);
  });

  it("an announced length over the bound is not downloaded at all", async () => {
    const backend = await server((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": 200 * 1024 * 1024 });
      res.write(MP4.subarray(0, 12));
    });
    const result = await testClient(backend.url).downloadRender(auth, { renderId: "r8", path: target(), maxBytes: 50 * 1024 * 1024 });
    expect(result).toEqual({ kind: "too-large", size: 200 * 1024 * 1024 });
  });

  it("a server answering a range with fewer bytes than asked is asked for the rest until Content-Range's total is reached", async () => {
    const backend = await server((req, res) => {
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
      const end = Math.min(MP4.length, start + 1000) - 1;
      res.writeHead(206, { "content-type": "video/mp4", "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${MP4.length}` });
      res.end(MP4.subarray(start, end + 1));
    });
    const path = target();
    const result = await testClient(backend.url).downloadRender(auth, { renderId: "r9", path, maxBytes: 1e6 });
    expect(result).toMatchObject({ kind: "done", size: MP4.length });
    expect(readFileSync(path).equals(MP4)).toBe(true);
    expect(backend.requests.map((r) => r.headers.range)).toEqual([undefined, "bytes=1000-", "bytes=2000-", "bytes=3000-", "bytes=4000-"]);
  });
});

describe("a download that broke off", () => {
  it("resumes with Range and If-Range on the next attempt, and the bytes add up", async () => {
    const big = Buffer.concat([MP4.subarray(0, 12), Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 7) % 253))]);
    let calls = 0;
    const cdn = await server((req, res) => {
      if (req.url?.startsWith("/api/")) return sendJson(res, 503, { detail: "busy" });
      calls += 1;
      if (calls === 1) {
        // Half the file under the full Content-Length, then the connection is closed.
        res.writeHead(200, { "content-type": "video/mp4", "content-length": big.length, etag: '"v1"', "accept-ranges": "bytes" });
        res.write(big.subarray(0, 300_000), () => setImmediate(() => req.socket.end()));
        return;
      }
      serveMp4(req, res, big);
    });
    const client = testClient(cdn.url);
    const path = target();
    let resume: Parameters<typeof client.downloadRender>[1]["resume"];
    const first = await caught(() => client.downloadRender(auth, { renderId: "r10", outputUrl: `${cdn.url}/r10.mp4`, path, maxBytes: 1e7, onResume: (info) => (resume = info) }));
    expect(first).toMatchObject({ code: "download_failed", transient: true });
    expect(resume).toEqual({ source: "url", validator: '"v1"', total: big.length });
    // What came before the break is kept (the last chunk in flight may not be).
    const kept = readFileSync(`${path}.part`).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300_000);

    const second = await client.downloadRender(auth, { renderId: "r10", outputUrl: `${cdn.url}/r10.mp4`, path, maxBytes: 1e7, ...(resume ? { resume } : {}) });
    expect(second).toEqual({ kind: "done", size: big.length, source: "url" });
    expect(readFileSync(path).equals(big)).toBe(true);
    const resumed = cdn.requests.find((r) => r.headers.range !== undefined);
    expect(resumed?.headers.range).toBe(`bytes=${kept}-`);
    expect(resumed?.headers["if-range"]).toBe('"v1"');
  });

  it("starts over when the server sends the whole file instead of the range (the file changed)", async () => {
    const changed = Buffer.concat([MP4.subarray(0, 12), Buffer.alloc(MP4.length - 12, 9)]);
    const cdn = await server((req, res) => serveMp4(req, res, changed, '"v2"'));
    const path = target();
    // A partial file of the old version, and the old validator.
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${path}.part`, MP4.subarray(0, 2000));
    const result = await testClient(cdn.url).downloadRender(auth, { renderId: "r11", path, maxBytes: 1e6, resume: { source: "api", validator: '"v1"', total: MP4.length } });
    expect(result).toMatchObject({ kind: "done", size: changed.length });
    expect(readFileSync(path).equals(changed)).toBe(true);
  });

  it("a 503 is worth another try later; a 404 is not", async () => {
    const busy = await server((_req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("Service Temporarily Unavailable");
    });
    expect(await caught(() => testClient(busy.url).downloadRender(auth, { renderId: "r12", path: target(), maxBytes: 1e6 }))).toMatchObject({ transient: true, status: 503 });
    const gone = await server((_req, res) => sendJson(res, 404, { detail: "Not Found" }));
    expect(await caught(() => testClient(gone.url).downloadRender(auth, { renderId: "r13", path: target(), maxBytes: 1e6 }))).toMatchObject({ transient: false, status: 404 });
  });
});
