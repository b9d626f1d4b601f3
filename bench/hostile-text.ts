/**
 * Figure 7, hostile backend text: how long translating a 1 MB backend answer takes, for each shape of
 * text that made the old regexes backtrack (test/helpers/adversarial-text.ts). The answer is cut to
 * MAX_INPUT characters and every pattern is linear, so the time is that of an ordinary long answer.
 */
import { MAX_INPUT, translateBackendText } from "../src/chat/gui-translation.js";
import { ADVERSARIAL_FAMILIES, adversarialText } from "../test/helpers/adversarial-text.js";
import { load1, metric, type Metric } from "./report.js";
import { percentile, round } from "./lib/stats.js";

const SIZE = 1_000_000;
const WARMUP = 2;
const RUNS = 20;
const TARGET_MS = 50;

export async function runHostileText(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const metrics: Metric[] = [];
  const worstWall: number[] = [];
  const p50Cpu: number[] = [];
  for (const family of Object.keys(ADVERSARIAL_FAMILIES)) {
    const text = adversarialText(family, SIZE);
    const cpuTimes: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      translateBackendText(text, "en");
      const cpu = process.cpuUsage(cpuBefore);
      if (i < WARMUP) continue;
      times.push(performance.now() - started);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
    worstWall.push(Math.max(...times));
    p50Cpu.push(percentile(cpuTimes, 50));
    metrics.push(metric({ name: `p50 translate 1 MB, ${family}`, value: round(percentile(times, 50), 2), unit: "ms", target: `≤ ${TARGET_MS} ms`, passIf: (v) => v <= TARGET_MS }));
    metrics.push(metric({ name: `p50 CPU time, ${family}`, value: round(percentile(cpuTimes, 50), 2), unit: "ms" }));
  }
  // CPU time is what the text costs whatever else the machine runs; wall time on a busy machine is mostly waiting.
  metrics.push(metric({ name: "p50 CPU time, slowest shape", value: round(Math.max(...p50Cpu), 2), unit: "ms", target: `≤ ${TARGET_MS} ms`, passIf: (v) => v <= TARGET_MS }));
  metrics.push(metric({ name: "max wall time, any shape, any run", value: round(Math.max(...worstWall), 2), unit: "ms" }));
  await Promise.resolve();
  return {
    setup: [
      `In-process: translateBackendText (src/chat/gui-translation.ts) on ${SIZE.toLocaleString("en")} characters of each adversarial family; the text is cut to MAX_INPUT = ${MAX_INPUT.toLocaleString("en")} characters first.`,
      `${RUNS} timed runs per family after ${WARMUP} warm-up runs.`,
    ],
    metrics,
    notes: [`Load average at the end ${round(load1(), 2)}. Before the fix, 100 KB of "x", blanks and "y" took 19 s (issue 16, item 3).`],
  };
}
