import { createHash } from "node:crypto";
import { appendFile, copyFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { ffmpegArgs, type DrawnText } from "./ffmpeg-args.js";
import { MusicBeds } from "./music-bed.js";
import type { ProcessPool } from "./processes.js";
import type { RenderPlan } from "./render-plan.js";
import { fitText } from "./text-layout.js";
import { TINY_MP4 } from "./tiny-mp4.js";

export interface MadeVideo {
  path: string;
  size: number;
  seconds: number;
}

/**
 * Turns a render plan into a real MP4 with ffmpeg (async, through the process pool), with every
 * edit of the plan in it. The same plan is made once and shared: 2,000 renders of one draft cost one
 * ffmpeg run. When ffmpeg fails the render fails (an MP4 without the edits would be a lie); only
 * with no ffmpeg at all is the output the first clip itself or a tiny built-in MP4, and the agent
 * has said so in its replies.
 */
export class VideoMaker {
  private made = new Map<string, Promise<MadeVideo>>();
  private readonly beds: MusicBeds | undefined;

  constructor(
    private readonly dir: string,
    private readonly pool: ProcessPool | undefined,
    private readonly logger: Logger,
    private readonly fontPath: string | undefined,
  ) {
    this.beds = pool ? new MusicBeds(dir, pool) : undefined;
  }

  make(plan: RenderPlan): Promise<MadeVideo> {
    const key = createHash("sha1").update(JSON.stringify(plan)).digest("hex").slice(0, 16);
    let pending = this.made.get(key);
    if (!pending) {
      pending = this.build(plan, key);
      this.made.set(key, pending);
      // A failed build may be tried again by a later render.
      pending.catch(() => this.made.delete(key));
    }
    return pending;
  }

  /**
   * A copy of `video` that names its render: the id in a trailing `free` box (MP4 players skip it),
   * so a test that receives the file knows which render it came from (EmulatorOptions.markRenders).
   */
  async marked(video: MadeVideo, renderId: string): Promise<MadeVideo> {
    const out = join(this.dir, `marked-${createHash("sha1").update(renderId).digest("hex").slice(0, 16)}.mp4`);
    const payload = Buffer.from(`nemo-emulator-render:${renderId}`, "utf8");
    const box = Buffer.alloc(8);
    box.writeUInt32BE(8 + payload.length, 0);
    box.write("free", 4, "latin1");
    await copyFile(video.path, out);
    await appendFile(out, Buffer.concat([box, payload]));
    return { ...video, path: out, size: (await stat(out)).size };
  }

  private async build(plan: RenderPlan, key: string): Promise<MadeVideo> {
    const out = join(this.dir, `${key}.mp4`);
    const seconds = Math.round(plan.seconds * 100) / 100;
    if (this.pool && this.beds) {
      const beds = this.beds;
      if (!this.fontPath && plan.texts.length > 0) this.logger.warn("emulator render: no font, so titles and captions are left out");
      const texts = await Promise.all(plan.texts.map((text, i) => this.writeText(plan, text, `${key}.text${i}.txt`)));
      const musicPaths = await Promise.all(plan.music.map((m) => (m.source.kind === "file" ? Promise.resolve(m.source.path) : beds.pathFor(m.source.name))));
      try {
        await this.pool.run("ffmpeg", ffmpegArgs({ plan, out, fontPath: this.fontPath, texts, musicPaths }));
      } catch (error) {
        if (!this.pool.isClosed) this.logger.warn({ err: error }, "emulator render: ffmpeg failed");
        throw error;
      }
      return { path: out, size: (await stat(out)).size, seconds };
    }
    const first = plan.segments.find((s) => s.source.kind === "video")?.source;
    if (first?.kind === "video" && first.path.toLowerCase().endsWith(".mp4")) await copyFile(first.path, out);
    else await writeFile(out, TINY_MP4);
    return { path: out, size: (await stat(out)).size, seconds };
  }

  private async writeText(plan: RenderPlan, text: RenderPlan["texts"][number], name: string): Promise<DrawnText> {
    const { width: w, height: h } = plan;
    const box =
      text.role === "title"
        ? fitText(text.text, Math.min(h / 9, w / 9), w * 0.88, 3)
        : fitText(text.text, Math.min(h / 18, w / 16), w * 0.9, 2);
    const file = join(this.dir, name);
    await writeFile(file, box.lines.join("\n"));
    return { file, fontSize: box.fontSize };
  }
}
