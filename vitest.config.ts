import { defineConfig } from "vitest/config";
import { clusterUnsupportedReason } from "./test/helpers/redis-cluster.js";

/**
 * Two projects. `default`: every test file, on the run's own redis-server. `cluster`: the Telegram
 * end-to-end test and the short fault suite again, on a real three-primary Redis Cluster
 * (test/helpers/cluster-setup.ts). Run one with `--project default` or `--project cluster`.
 */
const ON_CLUSTER = [
  "test/e2e/telegram.test.ts",
  "test/redis/demo-namespace.test.ts",
  // The mailbox repair's one script over a batch of mailboxes' keys.
  "test/jobs/repair-batches.test.ts",
  // The short fault suite's files that take their Redis from the project (test/helpers/redis.ts).
  ...["backend-faults", "bad-input", "secret-scan", "worker-kill"].map((name) => `test/faults/${name}.test.ts`),
  // The primary holding the bot's keys SIGKILLed and restarted under load (AOF).
  "test/faults/redis-restart.test.ts",
];
const clusterSkipped = clusterUnsupportedReason();
// eslint-disable-next-line no-console -- the one place that says why a suite did not run
if (clusterSkipped) console.warn(`Redis Cluster suite skipped: ${clusterSkipped}`);

export default defineConfig({
  test: {
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: forks keep each file's servers and Redis connections apart.
    pool: "forks",
    maxWorkers: 2,
    projects: [
      // Arrays such as `include` and `globalSetup` add to the root's with `extends`: each project names its own files.
      { extends: true, test: { name: "default", include: ["test/**/*.test.ts"] } },
      ...(clusterSkipped
        ? []
        : [{ extends: true as const, test: { name: "cluster", include: ON_CLUSTER, globalSetup: ["test/helpers/cluster-setup.ts"] } }]),
    ],
  },
});
