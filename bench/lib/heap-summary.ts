/**
 * `npx tsx bench/lib/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [per]` prints what
 * grew between two heap snapshots, by constructor (self size and count), biggest first; with `per`
 * (e.g. the number of open turns) also per unit. A quick way to see what one open turn costs.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byConstructor(path: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(path, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] ?? 0] ?? "?";
    const name = snap.strings[snap.nodes[i + nameAt] ?? 0] ?? "?";
    const key = type === "object" || type === "closure" || type === "native" ? `${type}:${name}` : `(${type})`;
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += snap.nodes[i + sizeAt] ?? 0;
    entry.count += 1;
    out.set(key, entry);
  }
  return out;
}

const [beforePath, afterPath, perText] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  console.error("usage: heap-summary.ts <before> <after> [per]");
  process.exit(2);
}
const per = Number(perText ?? 1) || 1;
const before = byConstructor(beforePath);
const after = byConstructor(afterPath);
const rows = [...after.entries()]
  .map(([key, a]) => {
    const b = before.get(key) ?? { size: 0, count: 0 };
    return { key, size: a.size - b.size, count: a.count - b.count };
  })
  .sort((x, y) => y.size - x.size);
const total = rows.reduce((sum, r) => sum + r.size, 0);
console.log(`total growth ${(total / 1024).toFixed(0)} KB, ${(total / per / 1024).toFixed(2)} KB per unit (${per})`);
for (const row of rows.slice(0, 60)) {
  console.log(`${(row.size / per).toFixed(0).padStart(8)} B/unit ${(row.count / per).toFixed(2).padStart(8)} /unit  ${row.key.slice(0, 110)}`);
}
