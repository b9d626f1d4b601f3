import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent } from "undici";
import { isPublicAddress, type OutputUrlPolicy } from "./output-policy.js";

/** What a refused connection fails with (the download maps it to "refused", never retried). */
export class PrivateAddressError extends Error {
  override readonly name = "PrivateAddressError";
  readonly code = "ERR_PRIVATE_ADDRESS";
  constructor(hostname: string, address: string) {
    super(`${hostname} resolves to ${address}, which is not a public address`);
  }
}

/**
 * A DNS lookup that refuses names resolving to non-public addresses (unless the policy allows the
 * name: the configured backend). It runs when the socket connects, so it judges the address
 * actually dialled, for the first request and for every redirect alike, and a name that resolves
 * to a public address once and a private one later (DNS rebinding) is caught on the later connect.
 */
export function guardedLookup(policy: Pick<OutputUrlPolicy, "mayBePrivate">): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      if (!policy.mayBePrivate(hostname)) {
        const refused = addresses.find((a) => !isPublicAddress(a.address));
        if (refused) return callback(new PrivateAddressError(hostname, refused.address), "", 0);
      }
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}

/** The undici Agent every render download goes through: its own pool, with the guarded lookup. */
export function createDownloadAgent(policy: Pick<OutputUrlPolicy, "mayBePrivate">): Agent {
  return new Agent({ connect: { lookup: guardedLookup(policy) } });
}
