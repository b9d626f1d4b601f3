import type { PlannedSegment, RenderPlan } from "./render-plan.js";

/**
 * One ffmpeg command for a whole render: every segment is cut, sped, fitted to the frame, faded and
 * given a sound track (its own, or silence), then all are concatenated in order; titles and
 * captions are drawn over the result and the music is mixed under it at its volume, with its fades.
 */

export interface DrawnText {
  /** A file holding the text (drawtext reads it as is: no escaping of quotes or colons). */
  file: string;
  fontSize: number;
}

export interface FfmpegJob {
  plan: RenderPlan;
  out: string;
  fontPath: string | undefined;
  /** Parallel to plan.texts. */
  texts: DrawnText[];
  /** Parallel to plan.music: the file each one plays (an upload, or a generated bed). */
  musicPaths: string[];
}

/**
 * Mono sound plays on both sides at its full level, as editors treat a mono clip; ffmpeg's own
 * mono-to-stereo mix would lower it by 3 dB, and "music at 30%" would come out quieter than asked.
 */
const DUAL_MONO = "pan=stereo|c0=c0|c1=c0";

const RATE = 25;
const AUDIO_FORMAT = "aformat=sample_fmts=fltp:channel_layouts=stereo:sample_rates=44100";

/** A value inside a filter's options (`:` separates options) inside a filter graph (`,;[]` separate filters). */
export function filterValue(value: string): string {
  const option = value.replace(/[\\':]/g, "\\$&");
  return option.replace(/[\\'[\],;]/g, "\\$&");
}

const n = (value: number) => String(Math.round(value * 1000) / 1000);

/** atempo takes 0.5 to 2 per instance in older ffmpeg: chain it for 0.25 or 4. */
function atempo(speed: number): string[] {
  const out: string[] = [];
  let rest = speed;
  while (rest > 2) {
    out.push("atempo=2");
    rest /= 2;
  }
  while (rest < 0.5) {
    out.push("atempo=0.5");
    rest /= 0.5;
  }
  if (Math.abs(rest - 1) > 1e-6) out.push(`atempo=${n(rest)}`);
  return out;
}

function segmentInput(segment: PlannedSegment, w: number, h: number): string[] {
  const { source, seconds, speed } = segment;
  switch (source.kind) {
    case "video":
      // A little more than needed: the picture is cut exactly in the filter.
      return ["-ss", n(source.offset), "-t", n(seconds * speed + 0.5), "-i", source.path];
    case "image":
      return ["-loop", "1", "-framerate", String(RATE), "-t", n(seconds + 0.5), "-i", source.path];
    case "pattern":
      return ["-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=${RATE}:duration=${n(seconds * speed + 0.5)}`];
    case "blank":
      return ["-f", "lavfi", "-i", `color=c=black:size=${w}x${h}:rate=${RATE}:duration=${n(seconds + 0.5)}`];
  }
}

function fitFilter(plan: RenderPlan): string {
  const { width: w, height: h } = plan;
  return plan.fit === "pad"
    ? `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black`
    : `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h}`;
}

function videoChain(plan: RenderPlan, segment: PlannedSegment, input: number, label: string): string {
  const { seconds, speed, fadeIn, fadeOut } = segment;
  const steps = [
    speed === 1 ? "setpts=PTS-STARTPTS" : `setpts=(PTS-STARTPTS)/${n(speed)}`,
    `fps=${RATE}`,
    fitFilter(plan),
    "setsar=1",
    "format=yuv420p",
    // A source shorter than asked holds its last frame; then every segment is cut to its exact length.
    `tpad=stop_mode=clone:stop_duration=${n(seconds)}`,
    `trim=duration=${n(seconds)}`,
    "setpts=PTS-STARTPTS",
  ];
  if (fadeIn > 0) steps.push(`fade=t=in:st=0:d=${n(fadeIn)}`);
  if (fadeOut > 0) steps.push(`fade=t=out:st=${n(seconds - fadeOut)}:d=${n(fadeOut)}`);
  return `[${input}:v]${steps.join(",")}[${label}]`;
}

function audioChain(segment: PlannedSegment, input: number, label: string): string {
  const { source, seconds, speed, volume, fadeIn, fadeOut } = segment;
  const own = source.kind === "video" && source.hasAudio && volume > 0;
  const steps = own
    ? [`[${input}:a]asetpts=PTS-STARTPTS`, ...(source.mono ? [DUAL_MONO] : []), ...atempo(speed), "aresample=44100", AUDIO_FORMAT, ...(volume !== 1 ? [`volume=${n(volume)}`] : []), "apad"]
    : [`anullsrc=r=44100:cl=stereo`];
  steps.push(`atrim=duration=${n(seconds)}`, "asetpts=PTS-STARTPTS", AUDIO_FORMAT);
  if (own && fadeIn > 0) steps.push(`afade=t=in:st=0:d=${n(fadeIn)}`);
  if (own && fadeOut > 0) steps.push(`afade=t=out:st=${n(seconds - fadeOut)}:d=${n(fadeOut)}`);
  return `${steps.join(",")}[${label}]`;
}

export function ffmpegArgs(job: FfmpegJob): string[] {
  const { plan } = job;
  const inputs: string[] = [];
  const filters: string[] = [];
  plan.segments.forEach((segment, i) => {
    inputs.push(...segmentInput(segment, plan.width, plan.height));
    filters.push(videoChain(plan, segment, i, `v${i}`), audioChain(segment, i, `a${i}`));
  });
  const count = plan.segments.length;
  filters.push(`${plan.segments.map((_, i) => `[v${i}][a${i}]`).join("")}concat=n=${count}:v=1:a=1[vcat][acat]`);

  let video = "[vcat]";
  if (job.fontPath && plan.texts.length > 0) {
    const font = filterValue(job.fontPath);
    const draws = plan.texts.map((text, i) => {
      const drawn = job.texts[i]!;
      const size = drawn.fontSize;
      const y = text.role === "title" ? `${Math.round(plan.height / 8)}` : `h-text_h-${Math.round(plan.height / 12)}`;
      return [
        `drawtext=fontfile=${font}`,
        `textfile=${filterValue(drawn.file)}`,
        "expansion=none",
        "fontcolor=white",
        `fontsize=${size}`,
        `line_spacing=${Math.round(size / 4)}`,
        "x=(w-text_w)/2",
        `y=${y}`,
        "box=1",
        `boxcolor=black@${text.role === "title" ? "0.45" : "0.6"}`,
        `boxborderw=${Math.max(4, Math.round(size / 3))}`,
        `enable=${filterValue(`between(t,${n(text.start)},${n(text.end)})`)}`,
      ].join(":");
    });
    filters.push(`[vcat]${draws.join(",")}[vout]`);
    video = "[vout]";
  }

  let audio = "[acat]";
  if (plan.music.length > 0) {
    const mixed = plan.music.map((music, j) => {
      const input = count + j;
      inputs.push("-stream_loop", "-1", "-i", job.musicPaths[j]!);
      const length = music.end - music.start;
      // The generated beds are mono too.
      const mono = music.source.kind === "bed" || music.source.mono;
      const steps = [`[${input}:a]${mono ? `${DUAL_MONO},` : ""}aresample=44100`, AUDIO_FORMAT, `atrim=duration=${n(length)}`, "asetpts=PTS-STARTPTS", `volume=${n(music.volume)}`];
      if (music.fadeIn > 0) steps.push(`afade=t=in:st=0:d=${n(music.fadeIn)}`);
      if (music.fadeOut > 0) steps.push(`afade=t=out:st=${n(length - music.fadeOut)}:d=${n(music.fadeOut)}`);
      if (music.start > 0) steps.push(`adelay=${Math.round(music.start * 1000)}:all=1`);
      filters.push(`${steps.join(",")}[m${j}]`);
      return `[m${j}]`;
    });
    // normalize=0: each input keeps its own level (amix would otherwise divide the clip's sound by the input count).
    filters.push(`[acat]${mixed.join("")}amix=inputs=${1 + mixed.length}:duration=first:dropout_transition=0:normalize=0[aout]`);
    audio = "[aout]";
  }

  return [
    "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    ...inputs,
    "-filter_complex", filters.join(";"),
    "-map", video, "-map", audio,
    "-t", n(plan.seconds),
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", String(RATE),
    "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-ac", "2",
    "-movflags", "+faststart",
    job.out,
  ];
}
