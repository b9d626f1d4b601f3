/**
 * Upload memory benchmark (`npm run bench:upload`): a 500 MB file goes through NemoClient.uploadFiles
 * to a local emulator while the client's resident memory is sampled. The upload is streamed, so the
 * growth must stay flat: the run fails (exit 1) when RSS grows by 64 MB or more.
 *
 * The emulator runs in a child process so its own buffers do not count against the client.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NemoClient } from "../src/nemo/client.js";
import { makeSparseFile } from "./lib/sparse-file.js";

/** 500 MB unless BENCH_UPLOAD_MB says otherwise (to see that growth does not follow the file size). */
const FILE_BYTES = Number(process.env.BENCH_UPLOAD_MB ?? 500) * 1024 * 1024;
const LIMIT_MB = 64;
const SAMPLE_MS = 25;
const MB = 1024 * 1024;

async function serveEmulator(): Promise<void> {
  const { startEmulator } = await import("../src/emulator/index.js");
  const emulator = await startEmulator({ ffmpeg: false, maxUploadBytes: FILE_BYTES * 2, anonymousPerIpLimit: Infinity });
  process.send?.({ url: emulator.url });
  process.on("disconnect", () => {
    void emulator.close().finally(() => process.exit(0));
  });
}

function startEmulatorProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ["--serve-emulator"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (message) => resolve({ child, url: (message as { url: string }).url }));
    child.once("exit", (code) => reject(new Error(`the emulator process exited with ${code}`)));
  });
}


async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "nemo-upload-bench-"));
  const path = join(dir, "big.mp4");
  let emulator: ChildProcess | undefined;
  try {
    await makeSparseFile(path, FILE_BYTES);
    const started = await startEmulatorProcess();
    emulator = started.child;
    const client = new NemoClient({
      baseUrl: started.url,
      skill: { source: "nemo-video", version: "1.9" },
      platform: "unknown",
      requestTimeoutMs: 30_000,
      uploadTimeoutMs: 30 * 60_000,
      retryAfter429Ms: 1_000,
      turnTimeoutMs: 60_000,
      silentTimeoutMs: 60_000,
    });
    const { token } = await client.anonymousToken(randomUUID());
    const auth = { token };
    const { sessionId } = await client.createSession(auth, { language: "en" });

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let worst = process.memoryUsage();
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      if (now.rss > peak) {
        peak = now.rss;
        worst = now;
      }
    }, SAMPLE_MS);
    const t0 = performance.now();
    const result = await client.uploadFiles(auth, sessionId, [
      { fileName: "big.mp4", size: FILE_BYTES, contentType: "video/mp4", open: () => createReadStream(path) },
    ]);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const growth = (peak - baseline) / MB;
    console.log(`file:        ${FILE_BYTES / MB} MB (${result.files.length} file accepted: ${result.files[0]?.filename ?? "?"})`);
    console.log(`baseline RSS ${(baseline / MB).toFixed(1)} MB`);
    console.log(`peak RSS     ${(peak / MB).toFixed(1)} MB`);
    console.log(`growth       ${growth.toFixed(1)} MB (limit < ${LIMIT_MB} MB)`);
    if (process.env.BENCH_DETAIL) console.log(`at peak: heapUsed ${(worst.heapUsed / MB).toFixed(1)} MB, external ${(worst.external / MB).toFixed(1)} MB, arrayBuffers ${(worst.arrayBuffers / MB).toFixed(1)} MB`);
    console.log(`throughput   ${(FILE_BYTES / MB / seconds).toFixed(1)} MB/s (${seconds.toFixed(2)} s)`);
    if (growth >= LIMIT_MB) {
      console.error(`FAIL: memory grew by ${growth.toFixed(1)} MB during the upload`);
      return 1;
    }
    console.log("OK: the upload streamed with flat memory");
    return 0;
  } finally {
    emulator?.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--serve-emulator")) {
  await serveEmulator();
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
