import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { basename, join } from "node:path";
import { Agent, request } from "undici";
import { multipartBoundary, readMultipart, type PartHeaders, type PartSink } from "./multipart.js";
import { defaultInfo, fileTypeOf, probeMedia, type FileType } from "./probe.js";
import type { ProcessPool } from "./processes.js";
import type { EmulatedUpload } from "./types.js";

/**
 * Uploads stream to disk part by part (never buffered), hashed on the way; then each file is
 * probed. A bad extension answers 4001 and a file over the limit 4002, as the backend does.
 */

export class UploadRejected extends Error {
  constructor(
    readonly code: 4001 | 4002 | 400,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadDeps {
  dir: string;
  maxBytes: number;
  probePool: ProcessPool | undefined;
  cdnUrl(fileId: string, filename: string): string;
}

interface Received {
  fileId: string;
  filename: string;
  type: FileType;
  path: string | undefined;
  size: number;
  hash: string;
  url?: string;
}

function safeName(name: string): string {
  const base = basename(name.replace(/\\/g, "/")).replace(/[^\p{L}\p{N}._ -]/gu, "_").slice(-120);
  return base || "file";
}

/** Writes one part to a file with back-pressure, counting and hashing; refuses past the limit. */
class FileSink implements PartSink {
  private readonly stream: WriteStream;
  private readonly hash = createHash("md5");
  size = 0;
  private failed: Error | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.stream = createWriteStream(path);
    this.stream.on("error", (error) => {
      this.failed = error;
    });
  }
  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw new UploadRejected(4002, "file too large");
    this.hash.update(chunk);
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.stream.off("error", onError);
          resolve();
        };
        const onError = (error: Error) => {
          this.stream.off("drain", onDrain);
          reject(error);
        };
        this.stream.once("drain", onDrain);
        this.stream.once("error", onError);
      });
    }
  }
  async end(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    if (this.failed) throw this.failed;
  }
  abort(): void {
    this.stream.destroy();
  }
  digest(): string {
    return this.hash.digest("hex");
  }
}

const discard: PartSink = { write: () => undefined, end: () => undefined };

/** Reads a multipart upload into files; on any rejection, the files of this request are removed. */
export async function receiveMultipart(req: IncomingMessage, deps: UploadDeps): Promise<Received[]> {
  const boundary = multipartBoundary(req.headers["content-type"]);
  if (!boundary) throw new UploadRejected(400, "expected multipart/form-data with a boundary");
  await mkdir(deps.dir, { recursive: true });
  const received: Received[] = [];
  const sinks: FileSink[] = [];
  let current: { sink: FileSink; filename: string; type: FileType; fileId: string } | undefined;
  const onPart = (part: PartHeaders): PartSink => {
    if (part.filename === undefined) return discard; // a plain field
    const type = fileTypeOf(part.filename);
    if (!type) throw new UploadRejected(4001, `unsupported file type: ${safeName(part.filename)}`);
    const fileId = randomBytes(8).toString("hex");
    const filename = safeName(part.filename);
    const sink = new FileSink(join(deps.dir, `${fileId}-${filename}`), deps.maxBytes);
    sinks.push(sink);
    current = { sink, filename, type, fileId };
    return {
      write: (chunk) => sink.write(chunk),
      end: async () => {
        await sink.end();
        received.push({ fileId, filename, type, path: sink.path, size: sink.size, hash: sink.digest() });
        current = undefined;
      },
    };
  };
  try {
    // destroyOnReturn: false keeps the request alive after a rejection, so the answer can still be sent.
    await readMultipart(req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, req.headers["content-type"], onPart);
  } catch (error) {
    current?.sink.abort();
    await Promise.all(sinks.map((s) => rm(s.path, { force: true })));
    throw error;
  }
  if (received.length === 0) throw new UploadRejected(400, "no files in the upload");
  return received;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
/** URL uploads go through a pool of the emulator's own, never the process's global dispatcher. */
const urlFetches = new Agent();

/** URL uploads: fetched when on loopback (nothing leaves the machine), otherwise only recorded. */
export async function receiveUrls(urls: string[], deps: UploadDeps): Promise<Received[]> {
  await mkdir(deps.dir, { recursive: true });
  const received: Received[] = [];
  for (const raw of urls) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UploadRejected(400, "not a URL");
    }
    const filename = safeName(decodeURIComponent(url.pathname.split("/").pop() ?? "") || "file");
    const type = fileTypeOf(filename);
    if (!type) throw new UploadRejected(4001, `unsupported file type: ${filename}`);
    const fileId = randomBytes(8).toString("hex");
    if ((url.protocol === "http:" || url.protocol === "https:") && LOOPBACK.has(url.hostname)) {
      const sink = new FileSink(join(deps.dir, `${fileId}-${filename}`), deps.maxBytes);
      try {
        const answer = await request(url, { method: "GET", maxRedirections: 0, dispatcher: urlFetches } as Parameters<typeof request>[1]);
        if (answer.statusCode !== 200) {
          await answer.body.dump();
          throw new UploadRejected(400, `could not fetch the URL (HTTP ${answer.statusCode})`);
        }
        for await (const chunk of answer.body as AsyncIterable<Buffer>) await sink.write(chunk);
        await sink.end();
      } catch (error) {
        sink.abort();
        await rm(sink.path, { force: true });
        throw error;
      }
      received.push({ fileId, filename, type, path: sink.path, size: sink.size, hash: sink.digest(), url: raw });
    } else {
      received.push({ fileId, filename, type, path: undefined, size: 0, hash: createHash("md5").update(raw).digest("hex"), url: raw });
    }
  }
  return received;
}

/** Probes the received files and describes them as the upload answer does. */
export async function describeUploads(received: Received[], deps: UploadDeps): Promise<EmulatedUpload[]> {
  return Promise.all(
    received.map(async (r) => {
      const info = r.path ? await probeMedia(deps.probePool, r.path, r.type) : defaultInfo(r.type);
      return {
        fileId: r.fileId,
        filename: r.filename,
        fileType: r.type,
        cdnUrl: r.path ? deps.cdnUrl(r.fileId, r.filename) : (r.url ?? ""),
        duration: info.duration,
        width: info.width,
        height: info.height,
        fps: info.fps,
        hash: r.hash,
        size: r.size,
        hasAudio: info.hasAudio,
        audioChannels: info.audioChannels,
        path: r.path,
      };
    }),
  );
}
