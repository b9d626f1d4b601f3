import { join } from "node:path";
import type { ProcessPool } from "./processes.js";

/**
 * Background music for stock tracks ("Lo-fi", "Chill Acoustic", …): the emulator has no music
 * library, so it plays a short generated loop in the track's mood, a four-chord progression of sine
 * voices under a soft (pad) or plucked envelope. Each loop is made once per emulator with ffmpeg's
 * `aevalsrc`, then looped under the video at render time like an uploaded song.
 *
 * Every note starts and ends at silence, so chord changes and the loop's seam do not click.
 */

interface BedStyle {
  id: string;
  /** One beat, in seconds; a chord lasts four beats, the loop four chords. */
  beat: number;
  /** Root frequencies of the four chords (Hz) and whether each is minor. */
  chords: Array<[number, boolean]>;
  envelope: "pad" | "pluck";
  /** A soft kick on every beat. */
  kick: boolean;
}

const STYLES: BedStyle[] = [
  { id: "lofi", beat: 0.75, chords: [[220, true], [174.61, false], [261.63, false], [196, false]], envelope: "pad", kick: false },
  { id: "chill", beat: 0.6, chords: [[261.63, false], [196, false], [220, true], [174.61, false]], envelope: "pluck", kick: false },
  { id: "upbeat", beat: 0.35, chords: [[261.63, false], [392, false], [440, true], [349.23, false]], envelope: "pluck", kick: true },
  { id: "cinematic", beat: 1.5, chords: [[146.83, true], [116.54, false], [174.61, false], [130.81, false]], envelope: "pad", kick: false },
  { id: "trending", beat: 0.45, chords: [[220, true], [261.63, false], [196, false], [174.61, false]], envelope: "pluck", kick: true },
];

/** The style for a track name; an unknown name (an uploaded song we cannot read) gets the lo-fi loop. */
export function bedStyleFor(name: string): BedStyle {
  const n = name.toLowerCase();
  const id = /lo-?fi/.test(n)
    ? "lofi"
    : /chill|calm|acoustic|relax|soft|gentle|舒缓|轻松|安静/.test(n)
      ? "chill"
      : /upbeat|pop|happy|energetic|欢快|活泼/.test(n)
        ? "upbeat"
        : /cinematic|epic|史诗|电影/.test(n)
          ? "cinematic"
          : /trending|beat|viral|popular|热门|流行/.test(n)
            ? "trending"
            : "lofi";
  return STYLES.find((s) => s.id === id)!;
}

export const BED_SAMPLE_RATE = 22050;
/** Peak level of the bed at 100% volume, before the user's volume applies. */
const LEVEL = 0.16;

/** The `aevalsrc` expression of one style (one mono channel). */
export function bedExpression(style: BedStyle): string {
  const bar = style.beat * 4;
  const pick = (values: number[]) => `if(eq(ld(0),0),${values[0]},if(eq(ld(0),1),${values[1]},if(eq(ld(0),2),${values[2]},${values[3]})))`;
  const roots = style.chords.map(([f]) => f);
  const thirds = style.chords.map(([, minor]) => (minor ? 1.2 : 1.25));
  // ld(3): where in the beat we are, 0..1. Pad: a swell that rises and falls; pluck: a quick attack that decays.
  const envelope = style.envelope === "pad" ? "pow(sin(PI*ld(3)),2)" : "(1-exp(-60*ld(3)))*exp(-5*ld(3))";
  const voices = `sin(2*PI*ld(1)*t)+0.7*sin(2*PI*ld(1)*ld(2)*t)+0.6*sin(2*PI*ld(1)*1.5*t)+0.8*sin(PI*ld(1)*t)`;
  const kick = style.kick ? `+1.2*sin(2*PI*(50+60*exp(-30*ld(3)))*ld(3)*${style.beat})*exp(-12*ld(3))` : "";
  return [
    `st(0,mod(floor(t/${bar}),4))`,
    `st(1,${pick(roots)})`,
    `st(2,${pick(thirds)})`,
    `st(3,mod(t,${style.beat})/${style.beat})`,
    `st(4,${envelope})`,
    `${LEVEL}*(ld(4)*(${voices})${kick})`,
  ].join(";");
}

/** Seconds in one loop of a style. */
export function loopSeconds(style: BedStyle): number {
  return style.beat * 16;
}

/** Makes each style's loop once (a WAV in `dir`) and hands out its path. */
export class MusicBeds {
  private made = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly pool: ProcessPool,
  ) {}

  pathFor(name: string): Promise<string> {
    const style = bedStyleFor(name);
    let pending = this.made.get(style.id);
    if (!pending) {
      pending = this.make(style);
      this.made.set(style.id, pending);
      pending.catch(() => this.made.delete(style.id));
    }
    return pending;
  }

  private async make(style: BedStyle): Promise<string> {
    const path = join(this.dir, `bed-${style.id}.wav`);
    const source = `aevalsrc=exprs='${bedExpression(style)}':s=${BED_SAMPLE_RATE}:d=${loopSeconds(style)}`;
    await this.pool.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-c:a", "pcm_s16le", path]);
    return path;
  }
}
