import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The bot's Prometheus metrics. One registry per process (tests create their own), passed to
 * whatever records; `/metrics` serves it.
 */
export interface BotMetrics {
  registry: Registry;
  messagesByIntent: Counter<"platform" | "intent">;
  jobsByState: Gauge<"queue" | "state">;
  turnSeconds: Histogram<"outcome">;
  exportSeconds: Histogram<"outcome">;
  backendErrors: Counter<"code">;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): BotMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "nemo_bot_" });
  return {
    registry,
    messagesByIntent: new Counter({
      name: "nemo_bot_messages_total",
      help: "Chat messages handled, by platform and the intent they were routed to",
      labelNames: ["platform", "intent"],
      registers: [registry],
    }),
    jobsByState: new Gauge({
      name: "nemo_bot_jobs",
      help: "Queued work by queue and state, read from Redis at scrape time",
      labelNames: ["queue", "state"],
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: "nemo_bot_turn_duration_seconds",
      help: "Time from a turn's start to its answer in the chat",
      labelNames: ["outcome"],
      buckets: [5, 10, 20, 30, 60, 120, 300, 600, 900],
      registers: [registry],
    }),
    exportSeconds: new Histogram({
      name: "nemo_bot_export_duration_seconds",
      help: "Time from an export's start to the video in the chat",
      labelNames: ["outcome"],
      buckets: [10, 30, 60, 90, 120, 300, 600],
      registers: [registry],
    }),
    backendErrors: new Counter({
      name: "nemo_bot_backend_errors_total",
      help: "NemoVideo failures by error code",
      labelNames: ["code"],
      registers: [registry],
    }),
  };
}
