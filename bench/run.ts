/**
 * `npm run bench` runs every figure and writes bench/report.md and bench/report.json;
 * `npm run bench -- ingress exports` runs some (their results replace those figures in the report,
 * the others are kept from the last run). Figures: ingress, open-turns,
 * users-at-once, exports, scale-out, upload, idle, timeline-picture, hostile-text, flood.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runExports } from "./exports.js";
import { runFlood } from "./flood.js";
import { runHostileText } from "./hostile-text.js";
import { runIdle } from "./idle.js";
import { runIngress } from "./ingress.js";
import { runOpenTurns } from "./open-turns.js";
import { load1, machine, writeReport, type FigureResult, type Machine, type Metric } from "./report.js";
import { runScaleOut } from "./scale-out.js";
import { runTimelinePicture } from "./timeline-picture.js";
import { runUpload } from "./upload.js";
import { runUsersAtOnce } from "./users-at-once.js";

interface FigureRun {
  setup: string[];
  metrics: Metric[];
  notes: string[];
}

const FIGURES: { id: string; title: string; run: () => Promise<FigureRun> }[] = [
  { id: "ingress", title: "1. Ingress: Telegram updates into queued turns", run: runIngress },
  { id: "open-turns", title: "2. Open turns: 10,000 held by one worker process", run: runOpenTurns },
  { id: "users-at-once", title: "3. Default settings: 2,000 users editing at once against one worker", run: runUsersAtOnce },
  { id: "exports", title: "4. Exports: 2,000 at once through a fake Telegram that enforces its limits", run: runExports },
  { id: "scale-out", title: "5. Scale-out: 1, 2 and 4 worker processes on one Redis and on a 3-primary Redis Cluster", run: runScaleOut },
  { id: "upload", title: "6. Upload: a 500 MB file from Telegram into NemoVideo", run: runUpload },
  { id: "idle", title: "7. Idle footprint of the all-in-one process", run: runIdle },
  { id: "timeline-picture", title: "8. Timeline picture: draw and encode one PNG", run: runTimelinePicture },
  { id: "hostile-text", title: "9. Hostile text: a 1 MB backend answer translated for the chat", run: runHostileText },
  { id: "flood", title: "10. Flood: one user in 8 groups against another user's first status message", run: runFlood },
];

/** Writes the report: a partial run replaces its figures and keeps the others from the last report. */
function save(results: FigureResult[], partial: boolean, t0: number): { md: string; json: string } {
  const reportPath = fileURLToPath(new URL("./report.json", import.meta.url));
  let figures = results;
  if (partial && existsSync(reportPath)) {
    const previous = JSON.parse(readFileSync(reportPath, "utf8")) as { figures: FigureResult[]; machine: Machine };
    // A kept figure takes its current title (the numbering changes as figures are added).
    const kept = (f: (typeof FIGURES)[number]) => {
      const old = previous.figures.find((r) => r.id === f.id);
      return old ? { ...old, title: f.title } : undefined;
    };
    figures = FIGURES.map((f) => results.find((r) => r.id === f.id) ?? kept(f)).filter((r): r is FigureResult => r !== undefined);
  }
  return writeReport({ machine: machine(), figures, totalSeconds: (performance.now() - t0) / 1000 });
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = asked.filter((a) => !FIGURES.some((f) => f.id === a));
  if (unknown.length > 0) {
    console.error(`unknown figure(s): ${unknown.join(", ")}; choose from ${FIGURES.map((f) => f.id).join(", ")}`);
    return 2;
  }
  const chosen = asked.length > 0 ? FIGURES.filter((f) => asked.includes(f.id)) : FIGURES;
  const t0 = performance.now();
  const results: FigureResult[] = [];
  for (const figure of chosen) {
    console.log(`\n=== ${figure.title}`);
    const started = performance.now();
    const loadBefore = load1();
    const base = { id: figure.id, title: figure.title, command: `npm run bench -- ${figure.id}`, startedAt: new Date().toISOString(), loadBefore };
    let result: FigureResult;
    try {
      const run = await figure.run();
      result = { ...base, ...run, seconds: (performance.now() - started) / 1000, loadAfter: load1() };
    } catch (error) {
      console.error(error);
      result = { ...base, setup: [], metrics: [], notes: [], seconds: (performance.now() - started) / 1000, loadAfter: load1(), error: error instanceof Error ? error.message : String(error) };
    }
    for (const m of result.metrics) {
      const verdict = m.pass === undefined ? "" : m.pass ? "  PASS" : "  MISS";
      console.log(`  ${m.name}: ${m.value} ${m.unit}${m.baseline === undefined ? "" : `  (baseline ${m.baseline}, ratio ${m.ratio})`}${m.target ? `  target ${m.target}` : ""}${verdict}`);
    }
    for (const note of result.notes) console.log(`  note: ${note}`);
    results.push(result);
    // Written after every figure, so a run stopped part way keeps what it measured.
    save(results, asked.length > 0, t0);
  }

  const written = save(results, asked.length > 0, t0);
  console.log(`\nreport: ${written.md}\n        ${written.json}`);
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
