/**
 * The upload benchmark's baseline receiver: a trivial HTTP server that writes each PUT body to a
 * file (the emulator writes uploads to disk too) and answers when it is all on disk.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { announceReady, serveRpc } from "./rpc.js";
import { usageHandlers } from "./usage.js";

const dir = await mkdtemp(join(tmpdir(), "bench-sink-"));
let n = 0;
const server = createServer((req, res) => {
  const path = join(dir, `copy-${n++}`);
  pipeline(req, createWriteStream(path))
    .then(() => rm(path, { force: true }))
    .then(
      () => res.writeHead(200).end("ok"),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
});
server.requestTimeout = 0;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

serveRpc({ ...usageHandlers() }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});
announceReady({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
