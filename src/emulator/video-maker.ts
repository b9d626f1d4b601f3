import { createHash } from "node:crypto";
import { copyFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { ProcessPool } from "./processes.js";
import type { RenderPlan } from "./render-plan.js";
import { TINY_MP4 } from "./tiny-mp4.js";

export interface MadeVideo {
  path: string;
  size: number;
  seconds: number;
}

/**
 * Turns a render plan into a real MP4 with ffmpeg (async, through the process pool). The same plan
 * is made once and shared: 2,000 renders of one draft cost one ffmpeg run. If ffmpeg fails on the
 * title (fonts), it tries again without the title; failing that, or with no ffmpeg at all, the output
 * is the source clip itself or a tiny built-in MP4, so a render never fails for the emulator's sake.
 */
export class VideoMaker {
  private made = new Map<string, Promise<MadeVideo>>();

  constructor(
    private readonly dir: string,
    private readonly pool: ProcessPool | undefined,
    private readonly logger: Logger,
  ) {}

  make(plan: RenderPlan): Promise<MadeVideo> {
    const key = createHash("sha1").update(JSON.stringify(plan)).digest("hex").slice(0, 16);
    let pending = this.made.get(key);
    if (!pending) {
      pending = this.build(plan, key);
      this.made.set(key, pending);
      // A failed build (emulator closing) may be tried again later.
      pending.catch(() => this.made.delete(key));
    }
    return pending;
  }

  private async build(plan: RenderPlan, key: string): Promise<MadeVideo> {
    const out = join(this.dir, `${key}.mp4`);
    if (this.pool) {
      const attempts: Array<string | undefined> = plan.title ? [plan.title, undefined] : [undefined];
      for (const title of attempts) {
        try {
          const args = await this.ffmpegArgs(plan, title, out, key);
          await this.pool.run("ffmpeg", args);
          return { path: out, size: (await stat(out)).size, seconds: plan.seconds };
        } catch (error) {
          if (this.pool.isClosed) throw error; // the emulator is closing: nothing to fall back to
          this.logger.warn({ err: error, withTitle: title !== undefined }, "emulator render: ffmpeg failed");
        }
      }
    }
    if (plan.visual.kind === "video" && plan.visual.path.toLowerCase().endsWith(".mp4")) {
      await copyFile(plan.visual.path, out);
    } else {
      await writeFile(out, TINY_MP4);
    }
    return { path: out, size: (await stat(out)).size, seconds: plan.seconds };
  }

  private async ffmpegArgs(plan: RenderPlan, title: string | undefined, out: string, key: string): Promise<string[]> {
    const { width: w, height: h, seconds } = plan;
    const fit = `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,fps=25,format=yuv420p`;
    const inputs: string[] = [];
    const filters: string[] = [];
    let next = 0;
    let base: string;
    let sourceAudio: string | undefined;

    if (plan.visual.kind === "video") {
      inputs.push("-ss", String(plan.visual.offsetSeconds), "-t", String(seconds), "-i", plan.visual.path);
      filters.push(`[0:v]${fit}[base]`);
      if (plan.visual.hasAudio) sourceAudio = "[0:a]";
      next = 1;
      base = "[base]";
    } else if (plan.visual.kind === "images") {
      plan.visual.items.forEach((item, i) => {
        inputs.push("-loop", "1", "-t", String(item.seconds), "-i", item.path);
        filters.push(`[${i}:v]${fit}[img${i}]`);
      });
      const n = plan.visual.items.length;
      filters.push(`${plan.visual.items.map((_, i) => `[img${i}]`).join("")}concat=n=${n}:v=1:a=0[base]`);
      next = n;
      base = "[base]";
    } else {
      inputs.push("-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=25:duration=${seconds}`);
      filters.push(`[0:v]format=yuv420p[base]`);
      next = 1;
      base = "[base]";
    }

    if (title) {
      // The text goes through a file, so quotes and colons in a title need no escaping.
      const textFile = join(this.dir, `${key}.title.txt`);
      await writeFile(textFile, title);
      const size = Math.round(h / 14);
      filters.push(
        `${base}drawtext=textfile=${textFile}:fontcolor=white:fontsize=${size}:x=(w-text_w)/2:y=h/6:box=1:boxcolor=black@0.45:boxborderw=10:enable='lt(t,3)'[titled]`,
      );
      base = "[titled]";
    }

    let audioMap: string | undefined;
    if (plan.music) {
      inputs.push("-stream_loop", "-1", "-i", plan.music.path);
      const music = `[${next}:a]`;
      if (sourceAudio) {
        filters.push(`${music}volume=${plan.music.volume}[bgm]`, `${sourceAudio}[bgm]amix=inputs=2:duration=first:dropout_transition=0[mix]`);
        audioMap = "[mix]";
      } else {
        filters.push(`${music}volume=${plan.music.volume}[bgm]`);
        audioMap = "[bgm]";
      }
    } else if (sourceAudio) {
      audioMap = "0:a";
    }

    return [
      "-hide_banner", "-loglevel", "error", "-y",
      ...inputs,
      "-filter_complex", filters.join(";"),
      "-map", base,
      ...(audioMap ? ["-map", audioMap, "-c:a", "aac", "-b:a", "64k"] : []),
      "-t", String(seconds),
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
      "-movflags", "+faststart",
      out,
    ];
  }
}
