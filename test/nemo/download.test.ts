import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { isNemoError } from "../../src/errors.js";
import { caught, sendJson, testClient, useLocalServers } from "./local-server.js";

const auth = { token: "nmv_usr_download_secret" };
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from("ftypisom"), Buffer.alloc(100, 7)]);
const server = useLocalServers();

function sendMp4(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "video/mp4", "content-length": MP4.length });
  res.end(MP4);
}

async function bytes(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("downloading a render", () => {
  it("fetches a foreign output URL without the Authorization header", async () => {
    const backend = await server((_req, res) => sendJson(res, 500, {}));
    const cdn = await server((_req, res) => sendMp4(res));
    const result = await testClient(backend.url).downloadRender(auth, "render_1", `${cdn.url}/out/render_1.mp4`);
    expect((await bytes(result.body)).equals(MP4)).toBe(true);
    expect(result.size).toBe(MP4.length);
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
    expect(backend.requests).toHaveLength(0);
  });

  it("sends the token to an output URL on the backend's own host", async () => {
    const backend = await server((_req, res) => sendMp4(res));
    await bytes((await testClient(backend.url).downloadRender(auth, "r", `${backend.url}/files/r.mp4`)).body);
    expect(backend.requests[0]?.headers.authorization).toBe(`Bearer ${auth.token}`);
    expect(backend.requests[0]?.path).toBe("/files/r.mp4");
  });

  it("uses the authenticated download endpoint without an output URL, or when the URL fails", async () => {
    const backend = await server((_req, res) => sendMp4(res));
    const cdn = await server((_req, res) => sendJson(res, 403, { detail: "expired link" }));
    const client = testClient(backend.url);
    await bytes((await client.downloadRender(auth, "render_2")).body);
    await bytes((await client.downloadRender(auth, "render_3", `${cdn.url}/x.mp4`)).body);
    expect(backend.requests.map((r) => r.path)).toEqual(["/api/render/proxy/render_2/download", "/api/render/proxy/render_3/download"]);
    expect(backend.requests.every((r) => r.headers.authorization === `Bearer ${auth.token}`)).toBe(true);
  });

  it("reports a failing download endpoint as a NemoError", async () => {
    const backend = await server((_req, res) => sendJson(res, 409, { code: 409, message: "render is processing, not completed" }));
    const error = await caught(() => testClient(backend.url).downloadRender(auth, "render_4"));
    expect(isNemoError(error, "bad_request")).toBe(true);
  });
});
