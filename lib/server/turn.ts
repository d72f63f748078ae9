import "server-only";
// ICE servers for a participant's browser: STUN as configured, and TURN with short-lived REST
// credentials (the "TURN REST API" that coturn's --use-auth-secret implements): username
// `<expiry unix seconds>:<user id>`, password base64(HMAC-SHA1(TURN_SECRET, username)). The TURN
// server checks the MAC and the expiry itself, so the secret never leaves this server and a
// leaked credential dies within the hour.
import { createHmac } from "node:crypto";
import type { ServerEnv } from "./env";

export const TURN_CREDENTIAL_TTL_S = 60 * 60;

export type IceServer = { urls: string[]; username?: string; credential?: string };

export function turnCredential(secret: string, userId: string, nowMs: number, ttlS = TURN_CREDENTIAL_TTL_S): { username: string; credential: string; expiresAt: number } {
  const expiry = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiry}:${userId}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64"), expiresAt: expiry * 1000 };
}

/** What RTCPeerConnection needs, for this user, now. */
export function iceServersFor(env: Pick<ServerEnv, "stunUrls" | "turnUrls" | "turnSecret" | "iceTransportPolicy">, userId: string, nowMs = Date.now()) {
  const iceServers: IceServer[] = [];
  if (env.stunUrls.length > 0) iceServers.push({ urls: env.stunUrls });
  let expiresAt: number | null = null;
  if (env.turnUrls.length > 0 && env.turnSecret) {
    const c = turnCredential(env.turnSecret, userId, nowMs);
    iceServers.push({ urls: env.turnUrls, username: c.username, credential: c.credential });
    expiresAt = c.expiresAt;
  }
  return { iceServers, iceTransportPolicy: env.iceTransportPolicy, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
}
