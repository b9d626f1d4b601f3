/**
 * Figure 3, upload: a user sends a 500 MB video to the bot; the fake Telegram server acts as a local
 * Bot API server (TELEGRAM_LOCAL_API=1: getFile answers an absolute path on a shared disk, as
 * `telegram-bot-api --local` does), the bot process queues the upload, and the worker process runs
 * the upload job: it opens the file through the Telegram adapter and streams it as multipart into
 * the emulator (its own process, which parses, hashes and writes it to disk).
 *
 * Inside the worker, NemoVideo's uploadFiles is timed and RSS sampled every 25 ms: throughput and
 * memory growth (peak during the upload − RSS when it began). Baseline, same run: a plain loopback
 * copy of the same file, an undici PUT from the driver to a trivial server (own process) that
 * writes it to disk; once before and once after the upload, averaged.
 */
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { request } from "undici";
import { makeSparseFile } from "./lib/sparse-file.js";
import { round } from "./lib/stats.js";
import { Stack, waitUntil } from "./lib/stack.js";
import { startChild } from "./lib/rpc.js";
import { baseEnv } from "./lib/stack.js";
import type { UploadTiming } from "./lib/app-child.js";
import { metric, type Metric } from "./report.js";
import { fileURLToPath } from "node:url";

const MB = 1024 * 1024;
const FILE_MB = Number(process.env.BENCH_UPLOAD_MB ?? 500);
const FILE_BYTES = FILE_MB * MB;
const CHAT = 900_001;



async function plainCopy(url: string, path: string): Promise<number> {
  const t0 = performance.now();
  const response = await request(url, { method: "PUT", body: createReadStream(path), headers: { "content-length": String(FILE_BYTES) }, bodyTimeout: 0, headersTimeout: 0 });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`the copy server answered ${response.statusCode}`);
  return FILE_MB / ((performance.now() - t0) / 1000);
}

export async function runUpload(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("upload");
  const path = join(stack.dir, "big.mp4");
  try {
    await makeSparseFile(path, FILE_BYTES);
    await stack.startRedis();
    const fake = await stack.startFakeTelegram({ local: true });
    const emulator = await stack.startEmulator({ ffmpeg: false, maxUploadBytes: FILE_BYTES * 2 });
    const sink = stack.track(
      await startChild<{ url: string }>({ name: "copy-sink", file: fileURLToPath(new URL("./lib/sink-child.ts", import.meta.url)), env: baseEnv(), logDir: stack.logDir }),
    );
    const env = stack.appEnv(fake.info, emulator.info.url, { TELEGRAM_LOCAL_API: "1" });
    const worker = await stack.startApp("worker", { ...env, ROLE: "worker" }, ["--time-uploads"]);
    await stack.startApp("bot", { ...env, ROLE: "bot" });

    const copyBefore = await plainCopy(sink.info.url, path);

    const emulatorBefore = await emulator.call<{ cpuMs: number; at: number }>("usage");
    await fake.call("send", [{ chatId: CHAT, video: { path, size: FILE_BYTES, fileName: "big.mp4", mime: "video/mp4", duration: 60 } }]);
    const [timing] = await waitUntil("the upload to finish", async () => {
      const list = await worker.call<UploadTiming[]>("uploads");
      return list.length > 0 ? list : undefined;
    }, 600_000, 250);
    const emulatorAfter = await emulator.call<{ cpuMs: number; at: number }>("usage");
    if (!timing) throw new Error("no upload timed");
    if (timing.error) throw new Error(`the upload failed: ${timing.error}`);
    const seconds = (timing.endedAt - timing.startedAt) / 1000;
    const uploadRate = FILE_MB / seconds;
    const growth = timing.window.peakRssMb - timing.rssBeforeMb;
    const workerCpu = (timing.window.cpuMs / timing.window.wallMs) * 100;
    const emulatorCpu = ((emulatorAfter.cpuMs - emulatorBefore.cpuMs) / Math.max(1, emulatorAfter.at - emulatorBefore.at)) * 100;
    const counters = await emulator.call<{ requests: { upload: number } }>("counters");

    const copyAfter = await plainCopy(sink.info.url, path);
    const copyRate = (copyBefore + copyAfter) / 2;

    return {
      setup: [
        `One ${FILE_MB} MB video sent to the bot through the fake Bot API in local mode (TELEGRAM_LOCAL_API=1); bot process (ROLE=bot) → queue → worker process (ROLE=worker) → emulator (own process, no ffmpeg probing).`,
        `Timed inside the worker around NemoVideo uploadFiles (getFile, open, the multipart request until the emulator answered): ${round(seconds, 2)} s. RSS sampled every 25 ms inside the worker.`,
        `Baseline: an undici PUT of the same sparse file from the driver process to a trivial server (own process) writing it to disk: ${round(copyBefore)} MB/s before and ${round(copyAfter)} MB/s after the upload; the mean is the baseline.`,
      ],
      metrics: [
        metric({ name: "upload throughput", value: round(uploadRate), unit: "MB/s", baseline: round(copyRate), baselineLabel: "plain loopback copy", target: "≥ 50% of the copy rate", passIf: (_v, r) => (r ?? 0) >= 0.5 }),
        metric({ name: "worker RSS when the upload began", value: round(timing.rssBeforeMb), unit: "MB" }),
        metric({ name: "worker RSS growth during the upload", value: round(growth), unit: "MB", target: "≤ 64 MB", passIf: (v) => v <= 64 }),
        metric({ name: "worker peak heap used during the upload", value: round(timing.window.peakHeapUsedMb), unit: "MB" }),
        metric({ name: "worker CPU during the upload", value: round(workerCpu), unit: "% of a core" }),
        metric({ name: "emulator CPU during the upload", value: round(emulatorCpu), unit: "% of a core" }),
      ],
      notes: [
        `The emulator received ${counters.requests.upload} upload request(s). It parses the multipart body and MD5-hashes it on the way to disk; the copy server only writes: that difference is in the ratio.`,
        emulatorCpu > 85 && workerCpu < 60
          ? `The receiving emulator was the limit: it used ${round(emulatorCpu)}% of a core (one JavaScript thread, multipart parsing + MD5) while the worker used ${round(workerCpu)}%; the bot's side of the upload was waiting on it.`
          : `Worker ${round(workerCpu)}% and emulator ${round(emulatorCpu)}% of a core during the upload.`,
      ],
    };
  } finally {
    await stack.close();
    await rm(path, { force: true });
  }
}
