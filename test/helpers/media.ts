import { spawn } from "node:child_process";
import { join } from "node:path";

/**
 * Small real media files for tests, made with the system ffmpeg from its lavfi sources (testsrc, sine): no fixtures on disk.
 * Each call writes a new file into `dir` and resolves with its path.
 */

export interface ClipOptions {
  seconds?: number;
  width?: number;
  height?: number;
  /** File name inside dir; default a unique `clip-<n>.mp4`. */
  name?: string;
  /** Leave out the audio track. */
  silent?: boolean;
}

export interface ImageOptions {
  width?: number;
  height?: number;
  /** File name inside dir (its extension picks the format: .png or .jpg); default `image-<n>.png`. */
  name?: string;
}

export interface AudioOptions {
  seconds?: number;
  /** File name inside dir (.mp3, .m4a, .wav); default `audio-<n>.m4a`. */
  name?: string;
  frequency?: number;
}

let counter = 0;
const nextName = (stem: string, ext: string) => `${stem}-${process.pid}-${++counter}.${ext}`;

/** Runs ffmpeg and rejects with its last lines of stderr when it fails. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited with ${String(code)}: ${stderr.trim()}`));
    });
  });
}

/** An H.264 (+ AAC unless silent) MP4 test pattern: 2 s of 320x240 by default. */
export async function makeTestClip(dir: string, options: ClipOptions = {}): Promise<string> {
  const seconds = options.seconds ?? 2;
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const path = join(dir, options.name ?? nextName("clip", "mp4"));
  const video = ["-f", "lavfi", "-i", `testsrc=size=${width}x${height}:rate=25:duration=${seconds}`];
  const audio = options.silent ? [] : ["-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`];
  const audioCodec = options.silent ? [] : ["-c:a", "aac", "-b:a", "64k", "-shortest"];
  await runFfmpeg([
    ...video,
    ...audio,
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    ...audioCodec,
    "-movflags", "+faststart",
    path,
  ]);
  return path;
}

/** A still test pattern image (PNG by default, JPEG when the name ends in .jpg). */
export async function makeTestImage(dir: string, options: ImageOptions = {}): Promise<string> {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const path = join(dir, options.name ?? nextName("image", "png"));
  await runFfmpeg(["-f", "lavfi", "-i", `testsrc=size=${width}x${height}:rate=1:duration=1`, "-frames:v", "1", path]);
  return path;
}

/** A sine tone (AAC in .m4a by default; the extension picks the format). */
export async function makeTestAudio(dir: string, options: AudioOptions = {}): Promise<string> {
  const seconds = options.seconds ?? 2;
  const path = join(dir, options.name ?? nextName("audio", "m4a"));
  const codec = path.endsWith(".wav") ? [] : path.endsWith(".mp3") ? ["-c:a", "libmp3lame"] : ["-c:a", "aac", "-b:a", "64k"];
  await runFfmpeg(["-f", "lavfi", "-i", `sine=frequency=${options.frequency ?? 330}:duration=${seconds}`, ...codec, path]);
  return path;
}

/** True when the bytes look like an MP4 (`ftyp` at bytes 4..8). */
export function looksLikeMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(4, 8)).toString("latin1") === "ftyp";
}
