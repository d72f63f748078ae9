// The browser's API calls give up on a server that never answers (lib/client/api.ts): the caller
// gets a ClientApiError it can retry on (status 0, code "timeout") instead of waiting forever.
// A real HTTP server on 127.0.0.1 that reads the request and never answers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, ClientApiError } from "@/lib/client/api";

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/slow-ok") setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'), 150);
    // anything else: never answered
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("api timeout", () => {
  it("fails a call the server never answers with a timeout error", async () => {
    const err = await api.post(`${base}/hang`, {}, undefined, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientApiError);
    expect(err).toMatchObject({ status: 0, code: "timeout" });
  });

  it("lets an answer that comes in time through", async () => {
    await expect(api.post(`${base}/slow-ok`, {}, undefined, { timeoutMs: 5_000 })).resolves.toEqual({ ok: true });
  });
});
