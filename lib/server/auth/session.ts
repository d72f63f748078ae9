import "server-only";
// The signed-in user's id from the session cookie, as next-auth's `auth()` finds it, at a fraction
// of the cost. `auth()` runs next-auth's whole session endpoint on every call: it builds a request,
// checks the configuration, decrypts the JWT (HKDF + AES), then encrypts a fresh one whose cookie a
// route handler throws away. Here the same cookie is decoded with the same function, salt and
// secret, once per token: a token is immutable, so its decoded id is kept (in a bounded map) until
// the token's own expiry, with the same 15 s clock tolerance. Only the user id and the session id
// (`sid`, the Session row: auth/sessions.ts) are taken from the token: authz.ts re-reads the
// session, user and participant rows on every request.
import { getToken } from "next-auth/jwt";

type Decoded = { sub: string; sid: string | undefined; exp: number };

/** Who a session cookie says is calling. `sessionId` is undefined in a cookie from before sessions were recorded. */
export type CookieSession = { userId: string; sessionId: string | undefined };

const CACHE_MAX = 10_000;
/** jose's default in Auth.js's decode() */
const CLOCK_TOLERANCE_S = 15;

const g = globalThis as { __parleySessionIds?: Map<string, Decoded> };

/** Whether next-auth uses the `__Secure-` cookie names for this request (as its createActionURL decides). */
export function usesSecureCookies(headers: Headers, env: Record<string, string | undefined> = process.env): boolean {
  const envUrl = env.AUTH_URL ?? env.NEXTAUTH_URL;
  if (envUrl) return new URL(envUrl).protocol === "https:";
  return (headers.get("x-forwarded-proto") ?? "https").replace(/:$/, "") === "https";
}

const live = (d: Decoded, nowMs: number) => Math.floor(nowMs / 1000) - CLOCK_TOLERANCE_S < d.exp;

/** The user id (`sub`) and session id (`sid`) of a valid, unexpired session cookie in `headers`, else undefined. */
export async function sessionFrom(headers: Headers, secret: string, now = Date.now()): Promise<CookieSession | undefined> {
  const cookie = headers.get("cookie");
  if (!cookie) return undefined;
  const req = { headers: new Headers({ cookie }) };
  const secureCookie = usesSecureCookies(headers);
  const token = await getToken({ req, secret, secureCookie, raw: true });
  if (!token) return undefined;
  const cache = (g.__parleySessionIds ??= new Map<string, Decoded>());
  const known = cache.get(token);
  if (known) {
    if (live(known, now)) return { userId: known.sub, sessionId: known.sid };
    cache.delete(token);
    return undefined;
  }
  const payload = await getToken({ req, secret, secureCookie });
  if (!payload || typeof payload.sub !== "string" || !payload.sub) return undefined;
  const sid = typeof payload.sid === "string" ? payload.sid : undefined;
  if (typeof payload.exp === "number") {
    const decoded = { sub: payload.sub, sid, exp: payload.exp };
    if (!live(decoded, now)) return undefined;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(token, decoded);
  }
  return { userId: payload.sub, sessionId: sid };
}
