/**
 * V8 flags every process of the bot runs with: the Docker image's CMD and `npm start` pass them to
 * node, the benchmark starts its bot and worker processes with them, and test/deploy checks the three
 * agree.
 *
 * `--heap-growing-percent`: after each full GC V8 lets the old space grow by a factor of up to 4
 * before the next one when the process allocates fast. A worker taking 10,000 turns in a burst then
 * keeps hundreds of MB of old space it no longer uses (539 MB peak RSS for 138 MB of live heap,
 * `npm run bench -- open-turns`). Growing by 1.25 at most keeps the reserved space near what is live,
 * for a few more GCs during a burst. Measured on the same machine in one sitting (10,000 turns,
 * load 0.2–2.6): no flag 539 MB peak / 43.6 KB RSS per turn (load 6.3); 50: 324 MB / 24.3 KB, 12.6% of
 * a core; 25: 305 MB / 22.4 KB, 14%; --optimize-for-size: 245 MB / 16 KB but 24.9% of a core.
 */
export const NODE_FLAGS: readonly string[] = ["--heap-growing-percent=25"];
