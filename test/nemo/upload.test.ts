import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { isNemoError } from "../../src/errors.js";
import { UploadSourceError } from "../../src/nemo/multipart.js";
import { caught, sendJson, testClient, type LocalServer, useLocalServers } from "./local-server.js";

const auth = { token: "nmv_usr_upload" };
const dir = mkdtempSync(join(tmpdir(), "nemo-upload-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const serve = useLocalServers();

const uploadAnswer = {
  code: 0,
  message: "ok",
  data: {
    files: [{ filename: "a.mp4", file_type: "video", cdn_url: "https://cdn/a.mp4", duration: 30.5, width: 1920, height: 1080, fps: 30, hash: "h", extra: 1 }],
    session_state_applied: true,
  },
};

/** Parses the multipart body with the platform's own parser (Response.formData). */
async function partsOf(server: LocalServer, index = 0): Promise<{ name: string; type: string; bytes: Buffer }[]> {
  const request = server.requests[index]!;
  const form = await new Response(request.body, { headers: { "content-type": String(request.headers["content-type"]) } }).formData();
  const out: { name: string; type: string; bytes: Buffer }[] = [];
  for (const [field, value] of form.entries()) {
    expect(field).toBe("files");
    if (typeof value === "string") throw new Error("a files part without a file name");
    out.push({ name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return out;
}

describe("uploads", () => {
  it("streams several files as `files` parts with a Content-Length when sizes are known, and maps the answer", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, uploadAnswer));
    const first = randomBytes(300_000);
    const path = join(dir, "first.mp4");
    writeFileSync(path, first);
    const second = Buffer.from("second file");
    const result = await testClient(server.url).uploadFiles(auth, "55", [
      { fileName: "first.mp4", size: first.length, contentType: "video/mp4", open: () => createReadStream(path) },
      { fileName: 'odd "name".png', size: second.length, contentType: "image/png", open: () => Readable.from([second]) },
    ]);
    expect(result).toEqual({
      files: [{ filename: "a.mp4", fileType: "video", cdnUrl: "https://cdn/a.mp4", duration: 30.5, width: 1920, height: 1080, fps: 30, hash: "h" }],
      sessionStateApplied: true,
    });
    const request = server.requests[0]!;
    expect(request.path).toBe("/api/upload-video/nemo_agent/me/55");
    expect(request.headers.authorization).toBe(`Bearer ${auth.token}`);
    expect(Number(request.headers["content-length"])).toBe(request.body.length);
    const parts = await partsOf(server);
    // The WHATWG parser decodes the %22 quoting back.
    expect(parts.map((p) => p.name)).toEqual(["first.mp4", 'odd "name".png']);
    expect(parts.map((p) => p.type)).toEqual(["video/mp4", "image/png"]);
    expect(createHash("sha256").update(parts[0]!.bytes).digest("hex")).toBe(createHash("sha256").update(first).digest("hex"));
    expect(parts[1]!.bytes.equals(second)).toBe(true);
  });

  it("sends any Readable of unknown size chunked", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, uploadAnswer));
    const chunks = [Buffer.from("abc"), Buffer.from("def")];
    await testClient(server.url).uploadFiles(auth, "55", [{ fileName: "x.mp3", open: () => Readable.from(chunks) }]);
    const request = server.requests[0]!;
    expect(request.headers["transfer-encoding"]).toBe("chunked");
    expect((await partsOf(server))[0]!.bytes.toString()).toBe("abcdef");
  });

  it("opens the source again for the one retry after 429", async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) sendJson(res, 429, { detail: "slow down" });
      else sendJson(res, 200, uploadAnswer);
    });
    let opened = 0;
    await testClient(server.url).uploadFiles(auth, "55", [
      {
        fileName: "x.mp4",
        size: 4,
        open: () => {
          opened += 1;
          return Readable.from([Buffer.from("abcd")]);
        },
      },
    ]);
    expect(opened).toBe(2);
    expect((await partsOf(server, 1))[0]!.bytes.toString()).toBe("abcd");
  });

  it("reports a source that fails as its own error, not as the network", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, uploadAnswer));
    const broken = new Readable({
      read() {
        this.destroy(new Error("disk gone"));
      },
    });
    const error = await caught(() => testClient(server.url).uploadFiles(auth, "55", [{ fileName: "x.mp4", open: () => broken }]));
    expect(error).toBeInstanceOf(UploadSourceError);
    expect(((error as Error).cause as Error).message).toBe("disk gone");
  });

  it("maps the backend's 4001 and 4002", async () => {
    const server = await serve((req, res) => {
      const tooLarge = String(req.headers["content-type"]).includes("multipart");
      sendJson(res, 200, { code: tooLarge ? 4002 : 4001, message: "no", data: null });
    });
    const client = testClient(server.url);
    const large = await caught(() => client.uploadFiles(auth, "1", [{ fileName: "x.mp4", open: () => Readable.from([Buffer.from("x")]) }]));
    expect(isNemoError(large, "file_too_large")).toBe(true);
    expect(isNemoError(await caught(() => client.uploadUrls(auth, "1", ["https://example.com/x.exe"])), "unsupported_file")).toBe(true);
  });

  it("sends URL uploads as JSON {urls, source_type: url}", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, uploadAnswer));
    await testClient(server.url).uploadUrls(auth, "77", ["https://cdn.example/a.mp4"]);
    const request = server.requests[0]!;
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body.toString())).toEqual({ urls: ["https://cdn.example/a.mp4"], source_type: "url" });
  });
});
