import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, quotaLimits } from "../src/config.js";

describe("configuration", () => {
  it("starts with defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config.NEMO_API_BASE).toBe("https://mega-api-prod.nemovideo.ai");
    expect(config.SKILL_PROFILE).toBe("video-making-ai");
    expect(config.NEMO_SKILL_PLATFORM).toBe("unknown");
    expect(config.STILL_WORKING_MS).toBe(120_000);
  });

  it("gives one worker process a few hundred slots by default: open turns take none (test/jobs/open-turn-footprint.test.ts), so slots only bound the sending and answering in flight", () => {
    expect(loadConfig({}).WORKER_CONCURRENCY).toBe(250);
  });

  it("lists every bad value in one error and never prints a secret", () => {
    const secret = "not-a-real-key-but-secret-material";
    let error: unknown;
    try {
      loadConfig({ NEMO_API_BASE: "not a url", RENDER_POLL_MS: "soon", TOKEN_KEY: secret, SKILL_PROFILE: "nope" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/NEMO_API_BASE/);
    expect(message).toMatch(/RENDER_POLL_MS/);
    expect(message).toMatch(/SKILL_PROFILE/);
    expect(message).not.toContain(secret);
  });

  it("turns quotas on by default only when the operator's token is shared", () => {
    expect(quotaLimits(loadConfig({}))).toEqual({ turnsPerHour: 0, exportsPerHour: 0, uploadsPerHour: 60 });
    expect(quotaLimits(loadConfig({ NEMO_TOKEN: "nmv_usr_x" }))).toEqual({ turnsPerHour: 20, exportsPerHour: 5, uploadsPerHour: 60 });
    expect(quotaLimits(loadConfig({ UPLOADS_PER_HOUR: "0" })).uploadsPerHour).toBe(0);
    expect(quotaLimits(loadConfig({ NEMO_TOKEN: "nmv_usr_x", TURNS_PER_HOUR: "0" })).turnsPerHour).toBe(0);
  });

  it("reads REDIS_CLUSTER_NODES and hash-tags the prefix so a script's keys share a Cluster slot", () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: " 10.0.0.1:7000, cache.example.com:7001 ,[::1]:7002", QUEUE_PREFIX: "bot-a" });
    expect(config.REDIS_CLUSTER_NODES).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "cache.example.com", port: 7001 },
        { host: "::1", port: 7002 },
      ],
      tls: false,
    });
    expect(config.QUEUE_PREFIX).toBe("{bot-a}");
    // A prefix with a tag already is the operator's choice; without a cluster nothing changes.
    expect(loadConfig({ REDIS_CLUSTER_NODES: "h:1", QUEUE_PREFIX: "app:{jobs}" }).QUEUE_PREFIX).toBe("app:{jobs}");
    expect(loadConfig({ REDIS_CLUSTER_NODES: "h:1", QUEUE_PREFIX: "{}x" }).QUEUE_PREFIX).toBe("{{}x}");
    expect(loadConfig({ QUEUE_PREFIX: "bot-a" }).QUEUE_PREFIX).toBe("bot-a");
  });

  it("takes a managed cluster's password and TLS from rediss:// seeds, and names a bad seed without echoing it", () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: "rediss://default:s%40cret@node-1.example.com:6379,rediss://node-2.example.com:6379" });
    expect(config.REDIS_CLUSTER_NODES).toMatchObject({ tls: true, username: "default", password: "s@cret" });
    expect(config.REDIS_CLUSTER_NODES?.nodes).toHaveLength(2);
    let error: unknown;
    try {
      loadConfig({ REDIS_CLUSTER_NODES: "redis://:hunter2@a:1,rediss://b:2,c,http://d:3" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/REDIS_CLUSTER_NODES: entry 3 needs a host and a port/);
    expect(message).toMatch(/REDIS_CLUSTER_NODES: entry 4: only redis:\/\/ and rediss:\/\//);
    expect(message).toMatch(/mixes redis:\/\/ and rediss:\/\//);
    expect(message).not.toContain("hunter2");
  });
});
