// TURN REST credentials (lib/server/turn.ts) as coturn's --use-auth-secret checks them: username
// `<expiry>:<user id>`, password base64(HMAC-SHA1(secret, username)). The expected password was
// computed with Python's hmac module, an independent implementation.
import { describe, expect, it } from "vitest";
import { iceServersFor, turnCredential, TURN_CREDENTIAL_TTL_S } from "@/lib/server/turn";

const USER = "0192f3a4-b5c6-7d8e-9fa0-b1c2d3e4f506";
const SECRET = "parley-turn-test-secret-0123";

describe("TURN credentials", () => {
  it("match an independently computed HMAC-SHA1", () => {
    const now = (1_795_000_000 - TURN_CREDENTIAL_TTL_S) * 1000;
    const c = turnCredential(SECRET, USER, now);
    expect(c.username).toBe(`1795000000:${USER}`);
    expect(c.credential).toBe("0+li8RYfTceEPeB2nadhD6t3CMc=");
    expect(c.expiresAt).toBe(1_795_000_000_000);
  });

  it("are minted only with TURN configured, next to STUN, with the transport policy", () => {
    const base = { stunUrls: ["stun:stun.example.org:3478"], turnUrls: [] as string[], turnSecret: undefined, iceTransportPolicy: "all" as const };
    expect(iceServersFor(base, USER)).toEqual({ iceServers: [{ urls: ["stun:stun.example.org:3478"] }], iceTransportPolicy: "all", expiresAt: null });
    const turn = iceServersFor(
      { ...base, stunUrls: [], turnUrls: ["turn:turn.example.org:3478", "turns:turn.example.org:443?transport=tcp"], turnSecret: SECRET, iceTransportPolicy: "relay" },
      USER,
      0,
    );
    const expected = turnCredential(SECRET, USER, 0);
    expect(turn.iceServers).toEqual([
      { urls: ["turn:turn.example.org:3478", "turns:turn.example.org:443?transport=tcp"], username: `${TURN_CREDENTIAL_TTL_S}:${USER}`, credential: expected.credential },
    ]);
    expect(turn).toMatchObject({ iceTransportPolicy: "relay", expiresAt: new Date(TURN_CREDENTIAL_TTL_S * 1000).toISOString() });
  });
});
