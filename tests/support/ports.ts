// A loopback port nothing listens on, for tests that start a server there or need a dead address.
import { createServer } from "node:net";

export async function unusedLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
