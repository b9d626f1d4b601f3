import { afterAll, describe, expect, it } from "vitest";
import { WorkQueues } from "../../jobs/queues.js";
import { sessionKeyOf } from "../../jobs/keys.js";
import { RateLimitedError } from "../../src/errors.js";
import { connectRedis } from "../../src/redis/client.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { envelopeOf } from "./harness.js";

/**
 * A burst of new users with no worker slot free: each item is announced ("⏳ Queued") a moment after
 * it was queued, and the platform's limits refuse most of those posts. Once one was refused, the
 * next announces of that platform are skipped for a while (no reads, no lease, no send), and the
 * sweep of sessions waiting for a slot posts their statuses later.
 */

const redis = connectRedis(testRedisUrl(), "client");
const TURN = { kind: "turn", text: "make the intro shorter" } as const;
afterAll(() => redis.disconnect());

describe("announcing places in line when the platform refuses statuses", () => {
  it("skips further droppable announces for a while once one was refused; the sweep posts them later", async () => {
    const outbox = new RecordingOutbox();
    const queues = new WorkQueues(redis, uniquePrefix("announce"), { outbox: () => outbox });
    try {
      const [first, second] = [envelopeOf(61_001, TURN), envelopeOf(61_002, TURN)];
      for (const e of [first, second]) await queues.enqueue(e);

      outbox.failNext("upsertStatus", new RateLimitedError("no send slot (test)", 5_000));
      await queues.line.announce(first, { droppable: true });
      // Within REFUSED_STATUS_BACKOFF_MS of the refusal: skipped.
      await queues.line.announce(second, { droppable: true });
      expect(outbox.entries.filter((e) => e.type === "status")).toHaveLength(0);

      // The sweep's refresh posts the skipped one.
      await queues.line.refresh(sessionKeyOf(second.session));
      expect(outbox.entries.filter((e) => e.type === "status").map((e) => e.to.chatId)).toEqual(["61002"]);
    } finally {
      await queues.close();
    }
  });
});
