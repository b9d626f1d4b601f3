import { createServer, connect, type AddressInfo, type Socket } from "node:net";

/**
 * A loopback TCP proxy that holds every chunk `delayMs` each way: a server far away (a Redis across
 * a slow network), for one client of a test while the others talk to the server directly.
 */
export interface SlowLink {
  /** Where to connect instead: `127.0.0.1:<port>`. */
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startSlowLink(target: { host: string; port: number }, delayMs: number): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    // Every chunk waits the same time, so their order is kept.
    const relay = (from: Socket, to: Socket) =>
      from.on("data", (chunk: Buffer) => {
        setTimeout(() => {
          if (to.writable) to.write(chunk);
        }, delayMs);
      });
    relay(client, upstream);
    relay(upstream, client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
