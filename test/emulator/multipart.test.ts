import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MultipartError, multipartBoundary, readMultipart } from "../../src/emulator/multipart.js";

interface Collected {
  name: string | undefined;
  filename: string | undefined;
  bytes: Buffer;
}

/** The body in chunks of the given sizes, as a socket might deliver it. */
async function* chunked(body: Buffer, chunkSizes: () => number): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; ) {
    const size = Math.max(1, chunkSizes());
    yield body.subarray(at, at + size);
    at += size;
  }
}

async function parse(body: Buffer, boundary: string, chunkSizes: () => number): Promise<Collected[]> {
  const parts: Collected[] = [];
  await readMultipart(chunked(body, chunkSizes), `multipart/form-data; boundary=${boundary}`, (headers) => {
    const chunks: Buffer[] = [];
    return {
      write: (chunk) => {
        chunks.push(Buffer.from(chunk));
      },
      end: () => {
        parts.push({ name: headers.name, filename: headers.filename, bytes: Buffer.concat(chunks) });
      },
    };
  });
  return parts;
}

function build(boundary: string, parts: Array<{ headers: string; bytes: Buffer }>, preamble = ""): Buffer {
  const pieces: Buffer[] = [Buffer.from(preamble)];
  for (const part of parts) pieces.push(Buffer.from(`--${boundary}\r\n${part.headers}\r\n\r\n`), part.bytes, Buffer.from("\r\n"));
  pieces.push(Buffer.from(`--${boundary}--\r\nepilogue`));
  return Buffer.concat(pieces);
}

describe("streaming multipart reader", () => {
  const boundary = "----b0undary42";
  // Data that contains near-boundaries: CRLF, dashes and the boundary text without its CRLF.
  const tricky = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${boundary.slice(0, -1)}x\r\n-- ${boundary}`), randomBytes(3000)]);
  const second = randomBytes(70_000);
  const third = randomBytes(300);
  const body = build(
    boundary,
    [
      { headers: `Content-Disposition: form-data; name="files"; filename="a.mp4"\r\nContent-Type: video/mp4`, bytes: tricky },
      { headers: `content-disposition:form-data;name="files";filename="b c.png"`, bytes: second },
      // grammY's way: no spaces, the file name unquoted.
      { headers: `content-disposition:form-data;name="video";filename=c.mp4\r\ncontent-type:application/octet-stream`, bytes: third },
      { headers: `Content-Disposition: form-data; name="note"`, bytes: Buffer.from("hello") },
    ],
    "preamble to ignore\r\n",
  );

  it.each([
    ["one byte at a time", () => 1],
    ["random chunks", () => 1 + Math.floor(Math.random() * 997)],
    ["the whole body at once", () => Number.MAX_SAFE_INTEGER],
  ])("gets every part byte for byte with %s", async (_label, sizes) => {
    const parts = await parse(body, boundary, sizes);
    expect(parts.map((p) => [p.name, p.filename])).toEqual([
      ["files", "a.mp4"],
      ["files", "b c.png"],
      ["video", "c.mp4"],
      ["note", undefined],
    ]);
    const hash = (b: Buffer) => createHash("md5").update(b).digest("hex");
    expect(hash(parts[0]!.bytes)).toBe(hash(tricky));
    expect(hash(parts[1]!.bytes)).toBe(hash(second));
    expect(hash(parts[2]!.bytes)).toBe(hash(third));
    expect(parts[3]!.bytes.toString()).toBe("hello");
  });

  it("rejects a body cut off before its closing boundary", async () => {
    await expect(parse(body.subarray(0, 6000), boundary, () => 512)).rejects.toBeInstanceOf(MultipartError);
  });

  it("stops reading at a part its sink refuses, with the sink's error", async () => {
    const refused = new Error("too large");
    let read = 0;
    const counted = async function* () {
      for await (const chunk of chunked(body, () => 1000)) {
        read += chunk.length;
        yield chunk;
      }
    };
    const reading = readMultipart(counted(), `multipart/form-data; boundary=${boundary}`, () => ({
      write: () => {
        throw refused;
      },
      end: () => undefined,
    }));
    await expect(reading).rejects.toBe(refused);
    // The first part is about 8 kB of an 80 kB body: the rest is never read.
    expect(read).toBeLessThan(body.length / 2);
  });

  it("reads boundaries and names", async () => {
    expect(multipartBoundary('multipart/form-data; boundary="abc def"')).toBe("abc def");
    expect(multipartBoundary("multipart/form-data;boundary=xyz")).toBe("xyz");
    expect(multipartBoundary("application/json")).toBeUndefined();
    const names = async (disposition: string) =>
      (await parse(build("q", [{ headers: disposition, bytes: Buffer.from("x") }]), "q", () => 64)).map((p) => [p.name, p.filename]);
    expect(await names(`Content-Disposition: form-data; name="files"; filename*=UTF-8''%E5%A4%8F.mp4`)).toEqual([["files", "夏.mp4"]]);
    expect(await names(`Content-Disposition: form-data; filename="x.mp4"; name="files"`)).toEqual([["files", "x.mp4"]]);
    // A client writing UTF-8 without `filename*=` (curl, browsers) is read as UTF-8, not latin1.
    expect(await names(`Content-Disposition: form-data; name="files"; filename="夏天.mp4"`)).toEqual([["files", "夏天.mp4"]]);
  });

  it("refuses a body that is not multipart", async () => {
    await expect(readMultipart(chunked(Buffer.from("{}"), () => 2), "application/json", () => ({ write: () => undefined, end: () => undefined }))).rejects.toBeInstanceOf(MultipartError);
  });
});
