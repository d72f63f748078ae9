import "server-only";
// The address a request came from, for sign-in rate limits and audit rows.
import { getServerEnv } from "@/lib/server/env";
import { CLIENT_IP_HEADER, CLIENT_IP_STAMPED, clientAddress } from "./client-address";

/**
 * Under `npm start` and `npm run dev` the preload (scripts/lib/client-ip-preload.mjs) has already
 * put the address from the socket into x-parley-client-ip and deleted any copy the client sent.
 * Without it (Vercel and other platforms that start Next themselves) the socket is out of reach and
 * that header is the client's own, so only X-Forwarded-For counts, with TRUSTED_PROXIES hops
 * trusted: set TRUSTED_PROXIES=1 where the platform's edge overwrites or appends to it. With the
 * default 0 the answer there is undefined. `trustedProxies` overrides the setting, for tests.
 */
export function requestIp(req: Request | Headers, trustedProxies?: number): string | undefined {
  const headers = req instanceof Headers ? req : req.headers;
  if ((globalThis as Record<symbol, unknown>)[CLIENT_IP_STAMPED] === true) return headers.get(CLIENT_IP_HEADER) ?? undefined;
  return clientAddress(undefined, headers.get("x-forwarded-for") ?? undefined, trustedProxies ?? getServerEnv().trustedProxies);
}
