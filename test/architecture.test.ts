import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The code map's import rules (ARCHITECTURE.md), checked on the source: each part names the parts it
 * must not depend on. Type-only imports count too: a type from a forbidden part is still a dependency.
 */

const ROOT = join(import.meta.dirname, "..");

/** The part a file belongs to: `adapters/telegram`, `jobs`, `src/nemo`, or `src` for top-level files. */
function partOf(file: string): string {
  const [top = "", second = "", third] = file.split("/");
  if (top === "adapters") return `adapters/${second}`;
  if (top === "src") return third === undefined ? "src" : `src/${second}`;
  return top;
}

interface Edge {
  from: string;
  to: string;
  file: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const dir of ["src", "adapters", "jobs"]) {
    for (const name of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (!name.endsWith(".ts")) continue;
      const file = `${dir}/${name}`;
      const source = readFileSync(join(ROOT, file), "utf8");
      for (const match of source.matchAll(/^[ \t]*(?:import|export)\b[^;]+?\bfrom\s+"(\.{1,2}\/[^"]+)"/gm)) {
        const target = relative(ROOT, normalize(join(ROOT, dirname(file), match[1] as string)));
        if (partOf(target) !== partOf(file)) edges.push({ from: partOf(file), to: partOf(target), file });
      }
      for (const match of source.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)) {
        const target = relative(ROOT, normalize(join(ROOT, dirname(file), match[1] as string)));
        if (partOf(target) !== partOf(file)) edges.push({ from: partOf(file), to: partOf(target), file });
      }
    }
  }
  return edges;
}

const EDGES = importEdges();

function offending(from: (part: string) => boolean, to: (part: string) => boolean): string[] {
  return EDGES.filter((edge) => from(edge.from) && to(edge.to)).map((edge) => `${edge.file} → ${edge.to}`);
}

const isAdapter = (part: string) => part.startsWith("adapters/");

describe("the code map's import rules", () => {
  it("finds the imports it checks", () => {
    // A broken reader would find nothing and pass every rule below.
    expect(EDGES.some((edge) => edge.from === "jobs" && edge.to === "src/nemo")).toBe(true);
    expect(EDGES.some((edge) => edge.from === "adapters/telegram" && edge.to === "src/chat")).toBe(true);
  });

  it("an adapter imports no jobs, no router and no other adapter", () => {
    expect(offending(isAdapter, (to) => to === "jobs" || to === "src/router")).toEqual([]);
    expect(EDGES.filter((edge) => isAdapter(edge.from) && isAdapter(edge.to) && edge.from !== edge.to)).toEqual([]);
  });

  it("the chat face imports no adapter, no jobs and no router", () => {
    expect(offending((from) => from === "src/chat", (to) => isAdapter(to) || to === "jobs" || to === "src/router")).toEqual([]);
  });

  it("jobs post through the Outbox they are given: no adapter, no router", () => {
    expect(offending((from) => from === "jobs", (to) => isAdapter(to) || to === "src/router")).toEqual([]);
  });

  it("the NemoVideo client knows no chat platform, job or router, and holds no user-facing text", () => {
    expect(
      offending(
        (from) => from === "src/nemo",
        (to) => isAdapter(to) || to === "jobs" || to === "src/router" || to === "src/present" || to === "src/i18n",
      ),
    ).toEqual([]);
  });

  it("only the demo start loads the emulator, and the emulator uses nothing of the product but the top-level logger and errors", () => {
    expect(offending((from) => from !== "src/emulator" && from !== "src", (to) => to === "src/emulator")).toEqual([]);
    expect(offending((from) => from === "src", (to) => to === "src/emulator").filter((edge) => !edge.startsWith("src/main.ts"))).toEqual([]);
    const allowed = new Set(["src"]);
    expect(offending((from) => from === "src/emulator", (to) => !allowed.has(to))).toEqual([]);
  });
});
