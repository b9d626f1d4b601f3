import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";
import { NODE_FLAGS } from "../../src/ops/node-flags.js";

/**
 * No Docker engine runs here, so the deployment files are checked as data: what an operator relies
 * on when running `docker compose up --scale worker=3` must be in them.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

type Service = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  env_file?: string[];
  ports?: string[];
  container_name?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: string[] | string };
  profiles?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const compose = parse(read("docker-compose.yml"), { merge: true }) as Compose;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
};

/** The variables of the config schema, read from its source (the schema itself is private). */
function schemaVariables(): Set<string> {
  const source = read("src/config.ts");
  const start = source.indexOf("const schema = z.object({");
  const end = source.indexOf("\n});", start);
  const block = source.slice(start, end);
  return new Set([...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string));
}
const SCHEMA = schemaVariables();
/** The local Bot API server's own settings: read by that image, not by the bot. */
const BOT_API_SERVER_VARIABLES = new Set(["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]);

/** `volume:/path[:ro]` → { source, target }. */
function mount(spec: string): { source: string; target: string } {
  const [source = "", target = ""] = spec.split(":");
  return { source, target };
}

describe("docker-compose.yml", () => {
  it("runs redis, the bot, the workers and an optional local Bot API server", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["bot", "redis", "telegram-bot-api", "worker"]);
  });

  it("keeps Redis durable: AOF on, no eviction, data on a named volume, a healthcheck", () => {
    const redis = service("redis");
    expect(redis.image).toMatch(/^redis:7/);
    const command = Array.isArray(redis.command) ? redis.command.join(" ") : (redis.command ?? "");
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    const data = (redis.volumes ?? []).map(mount).find((m) => m.target === "/data");
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data?.source);
    expect(JSON.stringify(redis.healthcheck?.test)).toMatch(/redis-cli.*ping/);
  });

  it("starts the bot and the workers only once Redis is healthy, in their own roles", () => {
    for (const [name, role] of [["bot", "bot"], ["worker", "worker"]] as const) {
      const s = service(name);
      expect(s.environment?.ROLE).toBe(role);
      expect(s.environment?.REDIS_URL).toBe("redis://redis:6379");
      expect(s.depends_on?.redis?.condition).toBe("service_healthy");
      expect(s.env_file).toContain(".env");
    }
    expect(service("bot").image).toBe(service("worker").image);
  });

  it("lets the workers scale: no fixed host port and no container name", () => {
    const worker = service("worker");
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.container_name).toBeUndefined();
  });

  it("checks the bot's health on the port it listens on", () => {
    const bot = service("bot");
    const port = String(bot.environment?.HTTP_PORT);
    const test = JSON.stringify(bot.healthcheck?.test);
    expect(test).toContain(`127.0.0.1:${port}/healthz`);
    expect((bot.ports ?? []).some((p) => p.endsWith(`:${port}`))).toBe(true);
  });

  it("puts the local Bot API server behind a profile, in --local mode, with its credentials", () => {
    const api = service("telegram-bot-api");
    expect(api.profiles).toEqual(["local-bot-api"]);
    expect(api.image).toMatch(/^aiogram\/telegram-bot-api/);
    expect(Object.keys(api.environment ?? {})).toEqual(expect.arrayContaining(["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]));
    // The image's entrypoint adds --local when TELEGRAM_LOCAL is set; a command would replace it.
    expect(String(api.environment?.TELEGRAM_LOCAL)).toBe("1");
    expect(api.command).toBeUndefined();
  });

  it("mounts the Bot API server's files at the same path in the workers, so its absolute paths work", () => {
    const serverMount = (service("telegram-bot-api").volumes ?? []).map(mount)[0];
    expect(serverMount?.target).toBe("/var/lib/telegram-bot-api");
    expect(Object.keys(compose.volumes ?? {})).toContain(serverMount?.source);
    const workerMount = (service("worker").volumes ?? []).map(mount).find((m) => m.source === serverMount?.source);
    expect(workerMount?.target).toBe(serverMount?.target);
  });

  it("only uses settings the bot knows", () => {
    for (const name of ["bot", "worker"]) {
      for (const key of Object.keys(service(name).environment ?? {})) expect(SCHEMA, `${name}: ${key}`).toContain(key);
    }
    const interpolated = [...read("docker-compose.yml").matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string);
    expect(interpolated.length).toBeGreaterThan(0);
    for (const name of interpolated) {
      expect(SCHEMA.has(name) || BOT_API_SERVER_VARIABLES.has(name), name).toBe(true);
    }
  });
});

describe(".env.example", () => {
  const text = read(".env.example");
  const named = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);

  it("lists every setting of the bot, each with a comment, and nothing else", () => {
    expect(SCHEMA.size).toBeGreaterThan(30);
    for (const name of SCHEMA) expect(named, name).toContain(name);
    for (const name of named) expect(SCHEMA.has(name) || BOT_API_SERVER_VARIABLES.has(name), name).toBe(true);
    const lines = text.split("\n");
    for (const name of SCHEMA) {
      // Above each setting, past its sibling settings, is a comment that explains it.
      let at = lines.findIndex((l) => new RegExp(`^#? ?${name}=`).test(l)) - 1;
      while (at >= 0 && /^#? ?[A-Z][A-Z0-9_]*=/.test(lines[at] ?? "")) at--;
      expect(lines[at] ?? "", name).toMatch(/^# \S/);
    }
  });

  it("starts the bot as it stands, and holds no secret", () => {
    const env: Record<string, string> = {};
    for (const line of text.split("\n")) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) env[m[1] as string] = m[2] as string;
    }
    expect(() => loadConfig(env)).not.toThrow();
    for (const secret of ["TELEGRAM_BOT_TOKEN", "DISCORD_TOKEN", "NEMO_TOKEN", "TOKEN_KEY"]) expect(env[secret]).toBe("");
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const lines = dockerfile.split("\n").map((l) => l.trim());
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const runtime = lines.slice(lastFrom);

  it("builds in one stage and runs from another, on a Node LTS of 22 or newer", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const major = Number(/node:(\d+)/.exec(from)?.[1]);
      expect(major, from).toBeGreaterThanOrEqual(22);
      expect(major % 2, `${from}: LTS lines are even`).toBe(0);
    }
    expect(dockerfile).toMatch(/COPY --from=build \S*dist/);
    expect(runtime.join("\n")).toMatch(/npm ci --omit=dev/);
  });

  it("runs as a non-root user", () => {
    const user = runtime.find((l) => /^USER\s/i.test(l));
    expect(user).toBeDefined();
    expect(user?.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.findIndex((l) => /^USER\s/i.test(l))).toBeLessThan(runtime.findIndex((l) => /^CMD\s/i.test(l)));
  });

  it("checks its health with node on /healthz, stops on SIGTERM and carries no renderer", () => {
    const health = runtime.join("\n");
    expect(health).toMatch(/HEALTHCHECK[\s\S]*node -e[\s\S]*http:\/\/127\.0\.0\.1:\$\{HTTP_PORT:-8080\}\/healthz/);
    expect(runtime).toContain("STOPSIGNAL SIGTERM");
    expect(dockerfile).not.toMatch(/apt-get install[^\n]*ffmpeg/);
    expect(dockerfile).toMatch(/ROLE=all/);
  });

  it("starts the file that `npm run build` writes", () => {
    expect(runtime).toContain(`CMD ${JSON.stringify(["node", ...NODE_FLAGS, "dist/src/main.js"]).replaceAll(",", ", ")}`);
    const base = JSON.parse(read("tsconfig.json")) as { compilerOptions: { outDir: string; rootDir: string } };
    const build = JSON.parse(read("tsconfig.build.json")) as { include: string[] };
    expect(base.compilerOptions).toMatchObject({ outDir: "dist", rootDir: "." });
    expect(build.include).toContain("src");
    expect(existsSync(join(ROOT, "src", "main.ts"))).toBe(true);
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain("tsconfig.build.json");
    // `npm start` runs with the image's V8 flags.
    expect(pkg.scripts.start).toBe(`tsx ${NODE_FLAGS.join(" ")} src/main.ts`);
    for (const dir of build.include) expect(dockerfile, `COPY ${dir}`).toMatch(new RegExp(`COPY ${dir} `));
  });

  it("ships production code only: no emulator, no TypeScript runner", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    // `npm ci --omit=dev` leaves tsx out of the image; `npm start` in a checkout installs dev packages.
    expect(pkg.dependencies).not.toHaveProperty("tsx");
    expect(pkg.devDependencies).toHaveProperty("tsx");
    expect(runtime.join("\n")).toMatch(/npm ci --omit=dev/);
    expect(runtime.join("\n")).toMatch(/rm -rf dist\/src\/emulator/);
    // The image can only drop the emulator if nothing outside it imports it statically.
    for (const dir of ["src", "adapters", "jobs"]) {
      for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts") || file.startsWith("emulator")) continue;
        const staticImports = read(join(dir, file)).match(/^import\s(?!type\b)[^;]*from\s+"[./]*emulator\//gm);
        expect(staticImports, `${dir}/${file}`).toBeNull();
      }
    }
    expect(read("src/main.ts")).toMatch(/await import\("\.\/emulator\/index\.js"\)/);
  });

  it("keeps secrets and local clutter out of the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const entry of [".env", "node_modules", ".git", "dist"]) expect(ignored).toContain(entry);
  });
});
