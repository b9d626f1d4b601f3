import type { RedisClient } from "./client.js";

/**
 * One Lua script called by many callers in the same turn of the event loop, sent to Redis as ONE
 * script call. At ingest dozens of updates reach the same script together (a getUpdates answer of
 * 50–100 updates, concurrent webhook POSTs, and then their replies' continuations): each script
 * call costs redis-server a fixed price (entering the script, defining its local functions, its
 * KEYS and ARGV) and the bot one command's encoding and parsing, which a batch pays once.
 *
 * The calls of one turn wait for that turn's end (setImmediate, after the I/O callbacks and promise
 * continuations queued with them), then go as one call whose KEYS and ARGV are the calls' own,
 * concatenated in call order (a fixed count per call). The script runs the per-call body on each
 * group in that order, so what one call writes is seen by the next, as with separate commands sent
 * in that order. Each caller gets its own reply:
 * - an error inside one call's body (a Lua error, a failed redis.call, a `redis.error_reply`) rejects
 *   that caller only, as a failed command of its own would;
 * - a failure of the whole command (the connection, a script that cannot run) rejects every caller
 *   of the batch, as it would have failed each of their commands.
 * Batches go out in the order they were made, so calls are sent in the order they were made. A lone
 * call goes as a batch of one. Every call's keys must be in one Redis Cluster slot: the product's
 * keys all are, under the one hash-tagged prefix (config.ts).
 */
export interface BatchedScriptSpec {
  /** The ioredis command the batched script is defined as on the connection. */
  name: string;
  /**
   * Lua run once per batch before the calls (local functions the body uses): defined once per
   * batch, not once per call.
   */
  preamble?: string;
  /** The Lua for ONE call, reading its own KEYS[1..keys] and ARGV[1..args], returning its reply. */
  body: string;
  keys: number;
  args: number;
}

/** Most calls in one batch: a script call holds Redis for its whole run, and its reply is one buffer. */
export const MAX_BATCH = 100;

interface Pending {
  keys: readonly string[];
  args: readonly string[];
  resolve: (reply: unknown) => void;
  reject: (error: Error) => void;
}

type BatchCommand = (numberOfKeys: number, ...keysAndArgs: string[]) => Promise<unknown>;

/**
 * The script over many calls. Each call's body runs in a function of its own whose parameters are
 * named KEYS and ARGV (its slices), under pcall, so an error ends that call only.
 */
export function batchedLua(spec: Pick<BatchedScriptSpec, "preamble" | "body" | "keys" | "args">): string {
  return `
${spec.preamble ?? ""}
local function one(KEYS, ARGV)
${spec.body}
end
local replies = {}
for i = 0, #KEYS / ${spec.keys} - 1 do
  local k, a = i * ${spec.keys}, i * ${spec.args}
  local ok, reply = pcall(one, { unpack(KEYS, k + 1, k + ${spec.keys}) }, { unpack(ARGV, a + 1, a + ${spec.args}) })
  if not ok then
    -- A failed redis.call raises a table with its error; a Lua error raises a string.
    if type(reply) ~= 'table' or not reply.err then reply = redis.error_reply(tostring(reply)) end
  end
  replies[i + 1] = reply
end
return replies
`;
}

export class BatchedScript {
  private readonly send: BatchCommand;
  private pending: Pending[] = [];

  constructor(
    redis: RedisClient,
    private readonly spec: BatchedScriptSpec,
  ) {
    // No fixed number of keys: each batch passes its own (ioredis still sends EVALSHA, falling back
    // to EVAL once when Redis does not know the script).
    redis.defineCommand(spec.name, { lua: batchedLua(spec) });
    const command = (redis as unknown as Record<string, BatchCommand>)[spec.name];
    if (!command) throw new Error(`ioredis did not define ${spec.name}`);
    this.send = command.bind(redis);
  }

  /** Runs the body on `keys` and `args` (exactly the spec's counts); resolves with its reply. */
  call(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    if (keys.length !== this.spec.keys || args.length !== this.spec.args) {
      return Promise.reject(new Error(`${this.spec.name}: ${keys.length} keys and ${args.length} args, not ${this.spec.keys} and ${this.spec.args}`));
    }
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ keys, args, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const keys = batch.flatMap((call) => call.keys);
    const args = batch.flatMap((call) => call.args);
    this.send(keys.length, ...keys, ...args).then(
      (replies) => {
        if (!Array.isArray(replies) || replies.length !== batch.length) {
          const error = new Error(`${this.spec.name}: ${batch.length} calls answered by ${Array.isArray(replies) ? replies.length : typeof replies}`);
          for (const call of batch) call.reject(error);
          return;
        }
        // An error reply in a call's place is that call's failure (ioredis hands it over as an Error).
        batch.forEach((call, i) => (replies[i] instanceof Error ? call.reject(replies[i] as Error) : call.resolve(replies[i])));
      },
      (error: Error) => {
        for (const call of batch) call.reject(error);
      },
    );
  }
}
