import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "../src/log.js";

/**
 * Where finished renders wait between their download and their post: `EXPORT_DIR/.deliveries`.
 * A file is removed once its video (or link) is delivered; one left by a killed process is removed
 * by the sweep once it is a day old. The terminal chat saves its own copy of each video in
 * EXPORT_DIR itself, which nothing here touches.
 */

const DAY_MS = 24 * 3600_000;

export function deliveriesDir(exportDir: string): string {
  return join(resolve(exportDir), ".deliveries");
}

/** The file of one render's delivery (its partial download is `<file>.part`). */
export function deliveryFile(exportDir: string, renderId: string): string {
  return join(deliveriesDir(exportDir), `${renderId.replace(/[^A-Za-z0-9_.-]/g, "_")}.mp4`);
}

export async function removeDeliveryFiles(exportDir: string, renderId: string): Promise<void> {
  const file = deliveryFile(exportDir, renderId);
  await Promise.all([rm(file, { force: true }), rm(`${file}.part`, { force: true })]);
}

/** Removes delivery files not touched for `maxAgeMs`; the number removed. */
export async function sweepDeliveryFiles(exportDir: string, maxAgeMs = DAY_MS, now = Date.now()): Promise<number> {
  const dir = deliveriesDir(exportDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || now - info.mtimeMs < maxAgeMs) continue;
      await rm(path, { force: true });
      removed += 1;
    } catch {
      // Removed meanwhile by its own delivery: nothing to do.
    }
  }
  return removed;
}

/** Sweeps at start and then every `everyMs` (default hourly); files live at least `maxAgeMs`. */
export function startDeliverySweep(options: { exportDir: string; logger: Logger; maxAgeMs?: number; everyMs?: number }): { stop(): void } {
  const sweep = () =>
    sweepDeliveryFiles(options.exportDir, options.maxAgeMs ?? DAY_MS).then(
      (removed) => {
        if (removed > 0) options.logger.info({ removed }, "removed undelivered export files older than a day");
      },
      (error: unknown) => options.logger.warn({ err: error }, "export file sweep failed"),
    );
  void sweep();
  const timer = setInterval(() => void sweep(), options.everyMs ?? 3600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
