// Stamps x-parley-client-ip on every request an HTTP(S) server in this process receives, before any
// listener (Next's included) sees it. Next passes a client's X-Forwarded-For through untouched, so
// this is the one place that knows the socket's peer. client-ip-preload.mjs installs it.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { CLIENT_IP_HEADER, CLIENT_IP_STAMPED, clientAddress } from "../../lib/server/net/client-address";

/** Server events whose first argument is the incoming request. */
const REQUEST_EVENTS = new Set(["request", "checkContinue", "checkExpectation", "upgrade", "connect"]);

/** TRUSTED_PROXIES as lib/server/env.ts validates it (an integer 0–10, empty meaning 0). */
export function trustedHopsFrom(value: string | undefined): number {
  const n = Number(value ?? "");
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new Error(`TRUSTED_PROXIES must be an integer from 0 to 10, not ${JSON.stringify(value)}`);
  return n;
}

/** Replaces any CLIENT_IP_HEADER the client sent with the address clientAddress() finds. */
export function stampClientIp(req: IncomingMessage, trustedHops: number): void {
  // Node builds these lazily from rawHeaders and its count: build them before rawHeaders changes.
  const { headers, headersDistinct, rawHeaders } = req;
  const address = clientAddress(req.socket?.remoteAddress, headers["x-forwarded-for"], trustedHops);
  delete headers[CLIENT_IP_HEADER];
  delete headersDistinct[CLIENT_IP_HEADER];
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (rawHeaders[i]?.toLowerCase() === CLIENT_IP_HEADER) rawHeaders.splice(i, 2);
  }
  if (address === undefined) return;
  headers[CLIENT_IP_HEADER] = address;
  headersDistinct[CLIENT_IP_HEADER] = [address];
  rawHeaders.push(CLIENT_IP_HEADER, address);
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Wraps `emit` of http.Server and https.Server (https.Server does not inherit from http.Server), so
 * servers made by createServer, `new Server` or with listeners added later are all covered. Returns
 * the undo.
 */
export function installClientIp(trustedHops: number): () => void {
  const protos = [http.Server.prototype, https.Server.prototype] as unknown as { emit: Emit }[];
  const originals = protos.map((proto) => {
    const emit = proto.emit;
    proto.emit = function (event, ...args) {
      if (typeof event === "string" && REQUEST_EVENTS.has(event)) stampClientIp(args[0] as IncomingMessage, trustedHops);
      return emit.call(this, event, ...args);
    };
    return emit;
  });
  const g = globalThis as Record<symbol, unknown>;
  g[CLIENT_IP_STAMPED] = true;
  return () => {
    protos.forEach((proto, i) => (proto.emit = originals[i]!));
    delete g[CLIENT_IP_STAMPED];
  };
}
