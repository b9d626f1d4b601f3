/**
 * `REDIS_CLUSTER_NODES`: the seed nodes of a Redis Cluster. Each entry is `host:port`, or a
 * `redis://` / `rediss://` URL when the cluster needs a password or TLS (managed clusters do). The
 * client learns the rest of the cluster from any seed that answers, so a few seeds are enough.
 */
export interface ClusterSeeds {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  /** `rediss://` seeds: every node is reached over TLS. */
  tls: boolean;
}

/** The seeds, or a list of what is wrong with the text (never echoing a password). */
export function parseClusterNodes(text: string): ClusterSeeds | { problems: string[] } {
  const entries = text.split(",").map((s) => s.trim()).filter(Boolean);
  const problems: string[] = [];
  const nodes: ClusterSeeds["nodes"] = [];
  const schemes = new Set<string>();
  let username: string | undefined;
  let password: string | undefined;
  for (const [i, entry] of entries.entries()) {
    const where = `entry ${i + 1}`;
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `redis://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      problems.push(`${where} is not host:port`);
      continue;
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      problems.push(`${where}: only redis:// and rediss:// URLs (or host:port)`);
      continue;
    }
    const port = Number(url.port);
    if (!url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${where} needs a host and a port (host:port)`);
      continue;
    }
    schemes.add(url.protocol);
    if (url.username) username ??= decodeURIComponent(url.username);
    if (url.password) password ??= decodeURIComponent(url.password);
    // IPv6 hosts come back bracketed from URL; the socket wants them bare.
    nodes.push({ host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port });
  }
  if (entries.length === 0) problems.push("lists no node (host:port,host:port,…)");
  if (schemes.size > 1) problems.push("mixes redis:// and rediss:// (TLS is all or nothing)");
  if (problems.length > 0) return { problems };
  return { nodes, tls: schemes.has("rediss:"), ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * A key prefix every key of which hashes to one Cluster slot. Redis hashes only the part between
 * the first `{` and the next `}` when it is not empty: BullMQ's scripts and ours touch several keys
 * at once, and a script's keys must share a slot. A prefix that already has a tag is kept as it is.
 */
export function hashTagged(prefix: string): string {
  const open = prefix.indexOf("{");
  const close = open >= 0 ? prefix.indexOf("}", open + 1) : -1;
  if (open >= 0 && close > open + 1) return prefix;
  return `{${prefix}}`;
}
