// Runs before `npm start` and `npm test`: installs the npm packages on a fresh clone (npm ci) and
// says plainly which system programs are missing, so the quick start stays two commands.
import { execSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const lock = "package-lock.json";
const installed = "node_modules/.package-lock.json";

// npm writes node_modules/.package-lock.json on every install: missing or older than the lock file
// means the packages on disk are not the ones the project asks for.
function lockChanged() {
  if (!existsSync(installed)) return true;
  return statSync(installed).mtimeMs < statSync(lock).mtimeMs;
}

if (lockChanged()) {
  console.error("Installing npm packages (npm ci)…");
  // Exactly the lock's versions; dev packages too (tsx runs `npm start` from source), even where
  // NODE_ENV=production would make npm leave them out.
  execSync("npm ci --include=dev --no-audit --no-fund", { stdio: "inherit" });
}

for (const [program, hint] of [
  ["redis-server", "the tests start their own redis-server: apt-get install redis-server"],
  ["ffmpeg", "the emulator renders real MP4s with ffmpeg: apt-get install ffmpeg (without it, exports return the uploaded file)"],
]) {
  const found = spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
  if (!found) console.error(`note: ${program} not found; ${hint}`);
}
