/**
 * The processes under test run the compiled JavaScript, as the Docker image runs it
 * (`node dist/src/main.js`): tsx names every function it transforms (esbuild's keepNames), which
 * turns each closure into a dictionary-mode object, a cost per open turn that production does not
 * pay. Built once per bench run with bench/tsconfig.build.json into bench/tmp/build.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BUILD_DIR = fileURLToPath(new URL("../tmp/build/", import.meta.url));
let built = false;

/** The compiled form of a bench child (e.g. "app-child"), building it on first use. */
export function compiledChild(name: string): string {
  if (!built) {
    execFileSync(process.execPath, [fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url)), "-p", "bench/tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
    built = true;
  }
  const file = `${BUILD_DIR}bench/lib/${name}.js`;
  if (!existsSync(file)) throw new Error(`no compiled ${name} in ${BUILD_DIR}`);
  return file;
}
