// lib/server/invites.ts: invite tokens are HMAC(key from AUTH_SECRET, id ‖ salt); only SHA-256(token) is stored.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { deriveInviteToken, hashInviteToken, INVITE_STATUS_TEXT, inviteUrl, tokenOf } from "@/lib/server/invites";
import { inviteToken } from "@/lib/shared/api";

const SECRET = "a-test-auth-secret-of-at-least-32-chars!";
const g = globalThis as { __parleyEnv?: unknown };
const saved = { ...process.env };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "parley-invite-"));
  process.env.AUTH_SECRET = SECRET;
  process.env.DATA_DIR = dir;
  delete process.env.DATABASE_URL;
  delete g.__parleyEnv;
});
afterAll(() => {
  process.env = { ...saved };
  delete g.__parleyEnv;
  rmSync(dir, { recursive: true, force: true });
});

const salt = () => new Uint8Array(randomBytes(16));

describe("deriveInviteToken", () => {
  it("is 43 characters of base64url (32 bytes) and passes the shared schema", () => {
    const t = deriveInviteToken(SECRET, randomUUID(), salt());
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t, "base64url")).toHaveLength(32);
    expect(inviteToken.safeParse(t).success).toBe(true);
  });

  it("is deterministic", () => {
    const id = randomUUID();
    const s = salt();
    expect(deriveInviteToken(SECRET, id, s)).toBe(deriveInviteToken(SECRET, id, Uint8Array.from(s)));
  });

  it("differs per invite id, salt and secret", () => {
    const id = randomUUID();
    const s = salt();
    const base = deriveInviteToken(SECRET, id, s);
    expect(deriveInviteToken(SECRET, randomUUID(), s)).not.toBe(base);
    expect(deriveInviteToken(SECRET, id, salt())).not.toBe(base);
    const s2 = Uint8Array.from(s);
    s2[15] = (s2[15] ?? 0) ^ 1;
    expect(deriveInviteToken(SECRET, id, s2)).not.toBe(base);
    expect(deriveInviteToken(`${SECRET}x`, id, s)).not.toBe(base);
  });

  it("is not a plain hash of its inputs", () => {
    const id = randomUUID();
    const s = salt();
    const t = deriveInviteToken(SECRET, id, s);
    expect(t).not.toBe(createHash("sha256").update(id).update(s).digest("base64url"));
    expect(t).not.toBe(createHash("sha256").update(SECRET).update(id).update(s).digest("base64url"));
  });
});

describe("hashInviteToken", () => {
  it("is SHA-256 of the token", () => {
    const t = deriveInviteToken(SECRET, randomUUID(), salt());
    const h = hashInviteToken(t);
    expect(h).toBeInstanceOf(Uint8Array);
    expect(h).toHaveLength(32);
    expect(Buffer.from(h).equals(createHash("sha256").update(t).digest())).toBe(true);
  });
});

describe("tokenOf", () => {
  it("re-derives the token of an invite made with this server's secret", () => {
    const id = randomUUID();
    const s = salt();
    const token = deriveInviteToken(SECRET, id, s);
    expect(tokenOf({ id, salt: s, tokenHash: hashInviteToken(token) })).toBe(token);
  });

  it("gives nothing when the secret changed (or the row does not match)", () => {
    const id = randomUUID();
    const s = salt();
    const foreign = deriveInviteToken("another-secret-another-secret-another", id, s);
    expect(tokenOf({ id, salt: s, tokenHash: hashInviteToken(foreign) })).toBeUndefined();
    const token = deriveInviteToken(SECRET, id, s);
    expect(tokenOf({ id: randomUUID(), salt: s, tokenHash: hashInviteToken(token) })).toBeUndefined();
    expect(tokenOf({ id, salt: salt(), tokenHash: hashInviteToken(token) })).toBeUndefined();
  });
});

describe("inviteUrl and status texts", () => {
  it("builds /join/<token> on the origin", () => {
    expect(inviteUrl("https://parley.example.org", "abc")).toBe("https://parley.example.org/join/abc");
  });

  it("has a human text for every refusal", () => {
    for (const k of ["unknown", "expired", "revoked", "used", "ended"] as const) expect(INVITE_STATUS_TEXT[k].length).toBeGreaterThan(10);
  });
});
