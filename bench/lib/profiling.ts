/**
 * `BENCH_PROFILE=1 npm run bench -- ingress` (or exports, or open-turns: over the hold) writes a CPU profile of the process under
 * test over the measured span only, into bench/tmp/<figure>/logs/<child>.cpuprofile; read it with
 * `npx tsx bench/lib/profile-summary.ts <file>` or Chrome DevTools.
 */
import { join } from "node:path";
import type { ChildHandle } from "./rpc.js";

export const profiling = (): boolean => Boolean(process.env.BENCH_PROFILE);

export async function startProfile(child: ChildHandle): Promise<void> {
  if (profiling()) await child.call("profileStart");
}

export async function stopProfile(child: ChildHandle, logDir: string): Promise<string | undefined> {
  if (!profiling()) return undefined;
  return child.call<string>("profileStop", { path: join(logDir, `${child.name}.cpuprofile`) });
}
