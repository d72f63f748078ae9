// lib/server/auth/session.ts: the session cookie decoded as next-auth's auth() does (same cookie
// name, salt and secret), cached per token only until the token's own expiry.
import { encode } from "next-auth/jwt";
import { describe, expect, it } from "vitest";

import { sessionFrom, usesSecureCookies } from "@/lib/server/auth/session";

const SECRET = "unit-test-secret-0123456789-0123456789-abcdef";
const USER = "0b6f8f3e-2c1a-4d5e-9f00-1234567890ab";

const SID = "5d7c0b1e-8a2f-4c3d-9e10-abcdefabcdef";

/** The user id of a cookie, as authz reads it (with the session id checked below). */
async function sessionUserIdFrom(headers: Headers, secret: string, now?: number): Promise<string | undefined> {
  return (await sessionFrom(headers, secret, now))?.userId;
}

async function cookieFor(opts: { secure?: boolean; maxAge?: number; secret?: string; sub?: string; sid?: string } = {}) {
  const name = `${opts.secure ? "__Secure-" : ""}authjs.session-token`;
  const token = await encode({ token: { sub: opts.sub ?? USER, name: "Dr. Test", ...(opts.sid ? { sid: opts.sid } : {}) }, secret: opts.secret ?? SECRET, salt: name, maxAge: opts.maxAge ?? 3600 });
  return `other=1; ${name}=${token}`;
}

const plain = (cookie: string, extra: Record<string, string> = {}) => new Headers({ cookie, "x-forwarded-proto": "http", ...extra });

describe("session cookie", () => {
  it("finds the user id of a valid cookie, the first time and from the cache", async () => {
    const h = plain(await cookieFor());
    expect(await sessionUserIdFrom(h, SECRET)).toBe(USER);
    expect(await sessionUserIdFrom(h, SECRET)).toBe(USER);
  });

  it("refuses a cookie made with another secret, a missing cookie, and garbage", async () => {
    expect(await sessionUserIdFrom(plain(await cookieFor({ secret: "another-secret-0123456789-0123456789-xyz" })), SECRET)).toBeUndefined();
    expect(await sessionUserIdFrom(new Headers(), SECRET)).toBeUndefined();
    expect(await sessionUserIdFrom(plain("authjs.session-token=not.a.jwe.at.all"), SECRET)).toBeUndefined();
  });

  it("refuses an expired cookie, and a cached one once its expiry (plus 15 s tolerance) has passed", async () => {
    const h = plain(await cookieFor({ maxAge: 60 }));
    const now = Date.now();
    expect(await sessionUserIdFrom(h, SECRET, now)).toBe(USER);
    expect(await sessionUserIdFrom(h, SECRET, now + 70_000)).toBe(USER); // within the tolerance
    expect(await sessionUserIdFrom(h, SECRET, now + 80_000)).toBeUndefined();
    expect(await sessionUserIdFrom(plain(await cookieFor({ maxAge: -60 })), SECRET)).toBeUndefined();
  });

  it("reads the __Secure- cookie over https, the plain one over http, as next-auth does", async () => {
    const secure = await cookieFor({ secure: true, sub: "11111111-2c1a-4d5e-9f00-1234567890ab" });
    expect(await sessionUserIdFrom(new Headers({ cookie: secure, "x-forwarded-proto": "https" }), SECRET)).toBe("11111111-2c1a-4d5e-9f00-1234567890ab");
    expect(await sessionUserIdFrom(plain(secure), SECRET)).toBeUndefined();
    expect(usesSecureCookies(new Headers({ "x-forwarded-proto": "http" }), { AUTH_URL: "https://clinic.example" })).toBe(true);
    expect(usesSecureCookies(new Headers({ "x-forwarded-proto": "https" }), { AUTH_URL: "http://127.0.0.1:3000" })).toBe(false);
    expect(usesSecureCookies(new Headers(), {})).toBe(true);
  });

  it("carries the session id, from the first decode and from the cache; none in an older cookie", async () => {
    const h = plain(await cookieFor({ sid: SID }));
    expect(await sessionFrom(h, SECRET)).toEqual({ userId: USER, sessionId: SID });
    expect(await sessionFrom(h, SECRET)).toEqual({ userId: USER, sessionId: SID });
    expect(await sessionFrom(plain(await cookieFor()), SECRET)).toEqual({ userId: USER, sessionId: undefined });
  });
});
