/**
 * Figure 6, the timeline picture: how long one PNG takes to draw and encode in-process, and how big
 * it is, for the drafts of the golden tests (a 4-track English draft with a thumbnail, the Chinese
 * one, 50 clips wrapped onto rows). Each is drawn a few times to warm up (the first draw registers
 * font slices), then timed; the time includes reading the draft and decoding the thumbnail.
 */
import { readDraft } from "../src/nemo/draft.js";
import { pictureWords, renderTimelinePicture } from "../src/present/timeline-picture/index.js";
import { shrinkThumbnail } from "../src/present/thumbnails.js";
import { beachDraft, chineseDraft, manyClipsDraft, thumbnailJpeg } from "../test/present/drafts.js";
import { load1, metric, type Metric } from "./report.js";
import { percentile, round } from "./lib/stats.js";

const WARMUP = 3;
const RUNS = 30;
const TARGET_MS = 150;
const TARGET_BYTES = 200 * 1024;

export async function runTimelinePicture(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const thumb = await shrinkThumbnail(thumbnailJpeg("#ff3b30", "#ffcc00"));
  const cases = [
    { name: "4 tracks, English, one thumbnail", draft: beachDraft, locale: "en" as const, thumbnails: new Map([["https://cdn.example/u/a.mp4", thumb]]) },
    { name: "4 tracks, Chinese", draft: chineseDraft, locale: "zh-CN" as const, thumbnails: new Map<string, Buffer>() },
    { name: "50 clips + music", draft: manyClipsDraft(50), locale: "en" as const, thumbnails: new Map<string, Buffer>() },
  ];
  const metrics: Metric[] = [];
  const notes: string[] = [];
  for (const c of cases) {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let bytes = 0;
    let size = "";
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const timeline = readDraft(c.draft);
      const picture = timeline && (await renderTimelinePicture(timeline, { words: pictureWords(c.locale), thumbnails: c.thumbnails }));
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      if (!picture) throw new Error(`no picture for ${c.name}`);
      if (i >= WARMUP) {
        times.push(ms);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
      bytes = picture.png.length;
      size = `${picture.width}×${picture.height}`;
    }
    metrics.push(metric({ name: `p50 draw + PNG, ${c.name}`, value: round(percentile(times, 50)), unit: "ms", target: `≤ ${TARGET_MS} ms`, passIf: (v) => v <= TARGET_MS }));
    metrics.push(metric({ name: `max draw + PNG, ${c.name}`, value: round(Math.max(...times)), unit: "ms" }));
    // CPU time is what one image costs whatever else the machine runs (wall time on a busy shared machine is mostly waiting).
    metrics.push(metric({ name: `p50 CPU time, ${c.name}`, value: round(percentile(cpuTimes, 50)), unit: "ms", target: `≤ ${TARGET_MS} ms`, passIf: (v) => v <= TARGET_MS }));
    metrics.push(metric({ name: `PNG size, ${c.name} (${size})`, value: round(bytes / 1024), unit: "KB", target: "≤ 200 KB", passIf: () => bytes <= TARGET_BYTES }));
  }
  notes.push(
    `${RUNS} timed draws per draft after ${WARMUP} warm-up draws, one after another in this process; load average at the end ${round(load1(), 2)} on this machine's cores. Drawing is synchronous on one thread, so on an idle machine wall time ≈ CPU time; above a load of 2 the wall times include waiting for a core.`,
  );
  return {
    setup: [
      "In-process: readDraft → layout → @napi-rs/canvas (Skia) draw → PNG encode, the same code path as /timeline.",
      "Drafts: those of test/present/timeline-picture.test.ts (the golden images).",
    ],
    metrics,
    notes,
  };
}
