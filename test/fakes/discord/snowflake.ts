/**
 * Discord ids are snowflakes: the top bits are milliseconds since 2015-01-01. discord.js reads an
 * interaction's creation time from its id, so the fake makes real ones with the current time.
 */
const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}
