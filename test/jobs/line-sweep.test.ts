import { describe, expect, it } from "vitest";
import { WorkQueues } from "../../jobs/queues.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { SentRef } from "../../src/chat/outbox.js";
import { connectRedis } from "../../src/redis/client.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { envelopeOf } from "./harness.js";

/**
 * The place-in-line sweep runs in one worker process at a time, however long it takes: with the
 * platform slow to answer, one sweep lasts several of its periods, and another process's tick (or
 * this process's next one) must not start a second sweep beside it, editing the same statuses.
 */

const PERIOD_MS = 100;
/** Each status post takes this long (a busy platform): a sweep of SESSIONS lasts ~8 periods. */
const SEND_MS = 200;
const SESSIONS = 4;
const TURN = { kind: "turn", text: "make the intro shorter" } as const;

/** A platform that answers every status post slowly; counts the posts under way across processes. */
class SlowPlatform extends RecordingOutbox {
  constructor(private readonly sending: { now: number; most: number }) {
    super();
  }

  override async upsertStatus(to: ReplyHandle, ref: SentRef | undefined, text: string): Promise<SentRef> {
    this.sending.now += 1;
    this.sending.most = Math.max(this.sending.most, this.sending.now);
    try {
      await new Promise((resolve) => setTimeout(resolve, SEND_MS));
      return await super.upsertStatus(to, ref, text);
    } finally {
      this.sending.now -= 1;
    }
  }
}

describe("the place-in-line sweep across worker processes", () => {
  it("never runs twice at once, even when one sweep outlasts its period many times", async () => {
    const prefix = uniquePrefix("line-sweep");
    const sending = { now: 0, most: 0 };
    // Two worker processes of one bot: each its own connection, outbox and sweep timer.
    const processes = [0, 1].map(() => {
      const redis = connectRedis(testRedisUrl(), "worker");
      const outbox = new SlowPlatform(sending);
      const queues = new WorkQueues(redis, prefix, { outbox: () => outbox });
      return { redis, outbox, queues };
    });
    const [first] = processes;
    if (!first) throw new Error("no process");
    // Users waiting for a worker slot (no worker takes them): each needs a "⏳ Queued" status.
    for (let i = 0; i < SESSIONS; i += 1) await first.queues.enqueue(envelopeOf(62_001 + i, TURN));

    const sweeps = processes.map(({ queues }) => queues.line.sweeper(queues.session, PERIOD_MS).start());
    try {
      // Long enough for a whole sweep (SESSIONS × SEND_MS) and the next one to begin.
      await new Promise((resolve) => setTimeout(resolve, SESSIONS * SEND_MS + 6 * PERIOD_MS));
      await Promise.all(sweeps.map((sweep) => sweep.stop()));

      expect(sending.most).toBe(1);
      // The one sweep did its work: every waiting user has one status saying so.
      const statuses = processes.flatMap(({ outbox }) => outbox.entries.filter((e) => e.type === "status"));
      expect(statuses.map((e) => e.to.chatId).sort()).toEqual(["62001", "62002", "62003", "62004"]);
      expect(statuses.every((e) => e.type === "status" && e.text.startsWith("⏳"))).toBe(true);
    } finally {
      await Promise.all(sweeps.map((sweep) => sweep.stop()));
      for (const { queues, redis } of processes) {
        await queues.close();
        redis.disconnect();
      }
    }
  });
});
