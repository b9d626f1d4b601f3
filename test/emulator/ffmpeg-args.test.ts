import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ffmpegArgs } from "../../src/emulator/ffmpeg-args.js";
import { cjkFontPath } from "../../src/emulator/font.js";
import type { RenderPlan } from "../../src/emulator/render-plan.js";
import { fitText, textWidth } from "../../src/emulator/text-layout.js";
import { frameAt, probe, TOP, whiteShare } from "./media-checks.js";

/** The ffmpeg command itself, run for real, and the text layout it draws with. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "emu-ffmpeg-args-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(stderr))));
  });
}

describe("the render command", () => {
  it("ships a font with Chinese and Latin glyphs from npm", () => {
    expect(cjkFontPath()).toMatch(/@embedpdf[/\\]fonts-sc[/\\]fonts[/\\]NotoSansHans-Regular\.otf$/);
  });

  it("draws text whose font and text files sit in a folder with quotes, colons and commas in its name", async () => {
    const odd = join(dir, "it's: a, [strange]; folder");
    await mkdir(odd, { recursive: true });
    const font = join(odd, "font's.otf");
    await copyFile(cjkFontPath()!, font);
    const text = join(odd, "title: it's.txt");
    await writeFile(text, "100% it's: 好");
    const out = join(dir, "odd.mp4");
    const plan: RenderPlan = {
      width: 320,
      height: 240,
      seconds: 1,
      fit: "crop",
      segments: [{ source: { kind: "blank" }, seconds: 1, speed: 1, volume: 1, fadeIn: 0, fadeOut: 0 }],
      texts: [{ text: "ignored: the file is drawn", role: "title", start: 0, end: 1 }],
      music: [],
    };
    await ffmpeg(ffmpegArgs({ plan, out, fontPath: font, texts: [{ file: text, fontSize: 30 }], musicPaths: [] }));
    expect((await probe(out)).duration).toBeCloseTo(1, 1);
    expect(whiteShare(await frameAt(out, 0.5), TOP)).toBeGreaterThan(0.01);
  });
});

describe("fitting text into the frame", () => {
  it("keeps a short title on one line at the asked size", () => {
    expect(fitText("Beach Day", 40, 560, 3)).toEqual({ lines: ["Beach Day"], fontSize: 40 });
  });

  it("breaks between words, and between Chinese characters", () => {
    const latin = fitText("A very long title about a summer day at the beach", 40, 320, 3);
    expect(latin.lines.length).toBeGreaterThan(1);
    expect(latin.lines.join(" ")).toBe("A very long title about a summer day at the beach");
    const chinese = fitText("我们在海边度过了非常愉快的一天", 40, 320, 3);
    expect(chinese.lines.length).toBeGreaterThan(1);
    expect(chinese.lines.join("")).toBe("我们在海边度过了非常愉快的一天");
    for (const box of [latin, chinese]) for (const line of box.lines) expect(textWidth(line, box.fontSize)).toBeLessThanOrEqual(320);
  });

  it("shrinks text that does not fit, and marks a cut when even the smallest size cannot hold it", () => {
    const long = "word ".repeat(40).trim();
    const shrunk = fitText(long, 40, 320, 3);
    expect(shrunk.fontSize).toBeLessThan(40);
    expect(shrunk.lines.length).toBeLessThanOrEqual(3);
    const huge = fitText("word ".repeat(400).trim(), 40, 320, 2);
    expect(huge.lines).toHaveLength(2);
    expect(huge.lines[1]!.endsWith("…")).toBe(true);
  });
});
