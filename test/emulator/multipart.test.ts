import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MultipartError, MultipartParser, multipartBoundary, parsePartHeaders } from "../../src/emulator/multipart.js";

interface Collected {
  name: string | undefined;
  filename: string | undefined;
  bytes: Buffer;
}

async function parse(body: Buffer, boundary: string, chunkSizes: () => number): Promise<Collected[]> {
  const parts: Collected[] = [];
  const parser = new MultipartParser(boundary, (headers) => {
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
  for (let at = 0; at < body.length; ) {
    const size = Math.max(1, chunkSizes());
    await parser.write(body.subarray(at, at + size));
    at += size;
  }
  await parser.end();
  return parts;
}

function build(boundary: string, parts: Array<{ headers: string; bytes: Buffer }>, preamble = ""): Buffer {
  const pieces: Buffer[] = [Buffer.from(preamble)];
  for (const part of parts) pieces.push(Buffer.from(`--${boundary}\r\n${part.headers}\r\n\r\n`), part.bytes, Buffer.from("\r\n"));
  pieces.push(Buffer.from(`--${boundary}--\r\nepilogue`));
  return Buffer.concat(pieces);
}

describe("streaming multipart parser", () => {
  const boundary = "----b0undary42";
  // Data that contains near-boundaries: CRLF, dashes and the boundary text without its CRLF.
  const tricky = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${boundary.slice(0, -1)}x\r\n-- ${boundary}`), randomBytes(3000)]);
  const second = randomBytes(70_000);
  const body = build(
    boundary,
    [
      { headers: `Content-Disposition: form-data; name="files"; filename="a.mp4"\r\nContent-Type: video/mp4`, bytes: tricky },
      { headers: `content-disposition:form-data;name="files";filename=b c.png`, bytes: second },
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
      ["note", undefined],
    ]);
    const hash = (b: Buffer) => createHash("md5").update(b).digest("hex");
    expect(hash(parts[0]!.bytes)).toBe(hash(tricky));
    expect(hash(parts[1]!.bytes)).toBe(hash(second));
    expect(parts[2]!.bytes.toString()).toBe("hello");
  });

  it("rejects a body cut off before its closing boundary", async () => {
    await expect(parse(body.subarray(0, 6000), boundary, () => 512)).rejects.toBeInstanceOf(MultipartError);
  });

  it("reads boundaries and lenient headers", () => {
    expect(multipartBoundary('multipart/form-data; boundary="abc def"')).toBe("abc def");
    expect(multipartBoundary("multipart/form-data;boundary=xyz")).toBe("xyz");
    expect(multipartBoundary("application/json")).toBeUndefined();
    expect(parsePartHeaders(`Content-Disposition: form-data; name="files"; filename*=UTF-8''%E5%A4%8F.mp4`).filename).toBe("夏.mp4");
    expect(parsePartHeaders(`Content-Disposition: form-data; filename="x.mp4"; name="files"`).name).toBe("files");
  });
});
