import { addStandardJob } from "bullmq/dist/esm/scripts/addStandardJob-9.js";

/**
 * BullMQ's own "add a job" script (the one `queue.add` runs), as a Lua function our mailbox script
 * can call, so that appending to a mailbox and creating its drainer job are ONE atomic step and one
 * Redis round trip (a producer dying, or its connection dropping, between the two can no longer
 * leave an item without a drainer, nor make a queued message look failed).
 *
 * The script reads the globals KEYS and ARGV; wrapped in a function whose parameters carry those
 * names, it reads ours instead. Its interface (9 keys; ARGV: msgpacked args, data JSON, msgpacked
 * options) is BullMQ's internal one, so bullmq is pinned to an exact version in package.json and
 * test/jobs/atomic-submit.test.ts checks that a job made this way is field for field the job
 * `queue.add` makes. The checks below refuse to start on a script whose shape has changed.
 */

const EXPECTED = ["local args = cmsgpack.unpack(ARGV[1])", "local data = ARGV[2]", "local opts = cmsgpack.unpack(ARGV[3])", "return jobId"];
for (const marker of EXPECTED) {
  if (!addStandardJob.content.includes(marker) || addStandardJob.keys !== 9) {
    throw new Error(`bullmq's addStandardJob script changed (missing "${marker}"): update jobs/bullmq-add-lua.ts for this bullmq version`);
  }
}

/** `bullmqAddStandardJob(KEYS, ARGV)`: a local Lua function; returns the job id (or BullMQ's negative error code). */
export const BULLMQ_ADD_STANDARD_JOB_FUNCTION = `local function bullmqAddStandardJob(KEYS, ARGV)\n${addStandardJob.content}\nend\n`;

/** The queue's keys in the order the script takes them. */
export const ADD_STANDARD_JOB_KEYS = ["wait", "paused", "meta", "id", "completed", "delayed", "active", "events", "marker"] as const;
