import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { runFfmpeg } from "../helpers/media.js";

/**
 * Looks inside rendered MP4s the way a viewer would: ffprobe for the streams and length, single
 * frames decoded to RGB for what is on screen, the sound decoded to samples for how loud it is.
 */

const run = promisify(execFile);

export interface Probe {
  duration: number;
  width: number;
  height: number;
  hasAudio: boolean;
  videoCodec: string;
  audioCodec: string | undefined;
}

export async function probe(path: string): Promise<Probe> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path]);
  const info = JSON.parse(stdout) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>; format: { duration: string } };
  const video = info.streams.find((s) => s.codec_type === "video")!;
  const audio = info.streams.find((s) => s.codec_type === "audio");
  return {
    duration: Number(info.format.duration),
    width: video.width!,
    height: video.height!,
    hasAudio: audio !== undefined,
    videoCodec: video.codec_name,
    audioCodec: audio?.codec_name,
  };
}

function collect(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${command} ${String(code)}: ${stderr}`))));
  });
}

export interface Frame {
  width: number;
  height: number;
  rgb: Buffer;
}

/** The frame shown at `seconds`, as RGB bytes. */
export async function frameAt(path: string, seconds: number): Promise<Frame> {
  const { width, height } = await probe(path);
  const rgb = await collect("ffmpeg", ["-nostdin", "-v", "error", "-ss", String(seconds), "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
  if (rgb.length !== width * height * 3) throw new Error(`no frame at ${seconds}s (got ${rgb.length} bytes)`);
  return { width, height, rgb };
}

/** A part of the frame, in fractions of its width and height. */
export interface Area {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export const TOP: Area = { x0: 0.05, y0: 0.08, x1: 0.95, y1: 0.35 };
export const BOTTOM: Area = { x0: 0.05, y0: 0.7, x1: 0.95, y1: 0.97 };
export const MIDDLE: Area = { x0: 0.35, y0: 0.4, x1: 0.65, y1: 0.6 };
export const WHOLE: Area = { x0: 0, y0: 0, x1: 1, y1: 1 };

function* pixels(frame: Frame, area: Area): Generator<[number, number, number]> {
  const xs = Math.floor(area.x0 * frame.width);
  const xe = Math.floor(area.x1 * frame.width);
  const ys = Math.floor(area.y0 * frame.height);
  const ye = Math.floor(area.y1 * frame.height);
  for (let y = ys; y < ye; y++) {
    for (let x = xs; x < xe; x++) {
      const i = (y * frame.width + x) * 3;
      yield [frame.rgb[i]!, frame.rgb[i + 1]!, frame.rgb[i + 2]!];
    }
  }
}

/** The average colour of an area. */
export function meanColor(frame: Frame, area: Area = WHOLE): { r: number; g: number; b: number; luma: number } {
  let r = 0;
  let g = 0;
  let b = 0;
  let count = 0;
  for (const [pr, pg, pb] of pixels(frame, area)) {
    r += pr;
    g += pg;
    b += pb;
    count += 1;
  }
  r /= count;
  g /= count;
  b /= count;
  return { r, g, b, luma: 0.299 * r + 0.587 * g + 0.114 * b };
}

/** Share of an area's pixels that are near white (drawn text; none of the test clips' colours is). */
export function whiteShare(frame: Frame, area: Area): number {
  let white = 0;
  let count = 0;
  for (const [r, g, b] of pixels(frame, area)) {
    if (r > 200 && g > 200 && b > 200) white += 1;
    count += 1;
  }
  return white / count;
}

/** Mean absolute difference of two frames' areas, 0-255. */
export function difference(a: Frame, b: Frame, area: Area): number {
  const pa = [...pixels(a, area)];
  const pb = [...pixels(b, area)];
  let sum = 0;
  pa.forEach(([r, g, bl], i) => {
    const [r2, g2, b2] = pb[i]!;
    sum += Math.abs(r - r2) + Math.abs(g - g2) + Math.abs(bl - b2);
  });
  return sum / (pa.length * 3);
}

/** The dominant colour name of an area: red, green, blue, yellow, black or other. */
export function colorName(frame: Frame, area: Area = MIDDLE): string {
  const { r, g, b } = meanColor(frame, area);
  // ffmpeg's "green" is 0,128,0.
  const hi = (v: number) => v > 110;
  const lo = (v: number) => v < 70;
  if (lo(r) && lo(g) && lo(b)) return "black";
  if (hi(r) && lo(g) && lo(b)) return "red";
  if (lo(r) && hi(g) && lo(b)) return "green";
  if (lo(r) && lo(g) && hi(b)) return "blue";
  if (hi(r) && hi(g) && lo(b)) return "yellow";
  return `other(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

const AUDIO_RATE = 8000;

/** The sound, mixed to mono, as samples from -1 to 1. */
export async function samples(path: string): Promise<Float32Array> {
  const raw = await collect("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", String(AUDIO_RATE), "-f", "s16le", "-"]);
  const out = new Float32Array(Math.floor(raw.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2) / 32768;
  return out;
}

/** Root mean square level between two times (seconds), 0 (silence) to about 0.7 (a full-scale sine). */
export function rms(sound: Float32Array, from: number, to: number): number {
  const start = Math.max(0, Math.floor(from * AUDIO_RATE));
  const end = Math.min(sound.length, Math.floor(to * AUDIO_RATE));
  let sum = 0;
  for (let i = start; i < end; i++) sum += sound[i]! * sound[i]!;
  return end > start ? Math.sqrt(sum / (end - start)) : 0;
}

/**
 * A test clip of solid colours, one per second given (e.g. red then blue), with a steady tone unless
 * silent. Frame sampling can then tell which clip, and which second of it, is on screen.
 */
export async function colorClip(dir: string, name: string, colors: string[], options: { width?: number; height?: number; tone?: number } = {}): Promise<string> {
  const w = options.width ?? 320;
  const h = options.height ?? 240;
  const path = join(dir, name);
  const inputs = colors.flatMap((c) => ["-f", "lavfi", "-i", `color=c=${c}:size=${w}x${h}:rate=25:duration=1`]);
  const seconds = colors.length;
  const audio = options.tone ? ["-f", "lavfi", "-i", `sine=frequency=${options.tone}:duration=${seconds}`] : [];
  const graph = `${colors.map((_, i) => `[${i}:v]`).join("")}concat=n=${colors.length}:v=1:a=0[v]`;
  await runFfmpeg([
    ...inputs,
    ...audio,
    "-filter_complex", graph,
    "-map", "[v]",
    ...(options.tone ? ["-map", `${colors.length}:a`, "-c:a", "aac", "-b:a", "64k"] : []),
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    "-t", String(seconds),
    "-movflags", "+faststart",
    path,
  ]);
  return path;
}
