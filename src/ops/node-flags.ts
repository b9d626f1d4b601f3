/**
 * V8 flags every process of the bot runs with: the Docker image's CMD and `npm start` pass them to
 * node, the benchmark starts its bot and worker processes with them, and test/deploy checks the three
 * agree.
 *
 * `--heap-growing-percent=25`: after each full GC V8 lets the old space grow by a factor of up to 4
 * before the next one when the process allocates fast. A worker taking 10,000 turns in a burst then
 * keeps hundreds of MB of old space it no longer uses (539 MB peak RSS for 138 MB of live heap).
 * Growing by 1.25 at most keeps the reserved space near what is live, for a few more GCs in a burst.
 *
 * `npm run bench -- open-turns` (10,000 open turns, one worker, load 0.2–2.6 unless said): no flag
 * 539 MB peak, 43.6 KB RSS per turn, 15% of a core (load 6.3); growing 50%: 324 MB, 24.3 KB, 12.6%;
 * growing 25%: 305 MB, 22.3 KB, 13.1%. Tried and not kept: `--optimize-for-size` (245 MB, 16 KB, but
 * 24.9% of a core) and `--max-semi-space-size=4` on top (285 MB, 20.5 KB, 13.8%; but the bot's CPU
 * per ingested update went from 0.32 to 0.55 ms in `npm run bench -- ingress`, twice).
 */
export const NODE_FLAGS: readonly string[] = ["--heap-growing-percent=25"];
