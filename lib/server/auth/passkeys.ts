import "server-only";
// Passkeys (WebAuthn, @simplewebauthn/server): the main way staff sign in. A passkey is a
// discoverable credential with user verification, so signing in with it is two factors at once
// (the device, and the PIN or fingerprint that unlocks it) and cannot be phished: the browser
// signs for this origin only. Challenges live in the database (one use, 5 minutes), so any
// instance can check an answer another instance asked for.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Db } from "../db";
import type { Tx } from "../events/log";
import { ApiError } from "../errors";
import type { PasskeyView } from "@/lib/shared/factors";

const CHALLENGE_TTL_MS = 5 * 60_000;
/** a person's passkeys: laptop, phone, a security key or two */
export const MAX_PASSKEYS = 10;

export type RelyingParty = { id: string; origin: string; name: string };

/** The relying party is this server's public origin: its host name is the passkeys' scope. */
export function relyingParty(origin: string): RelyingParty {
  return { id: new URL(origin).hostname, origin, name: "Parley" };
}

async function saveChallenge(db: Db, challenge: string, purpose: "register" | "authenticate", userId: string | null): Promise<string> {
  const row = await db.webAuthnChallenge.create({ data: { challenge, purpose, userId, expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS) }, select: { id: true } });
  // Old unanswered challenges are swept as new ones are made.
  await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  return row.id;
}

/** Takes a challenge out of the table, once; undefined when unknown, used, expired or someone else's. */
async function takeChallenge(db: Db | Tx, id: string, purpose: "register" | "authenticate", userId: string | null): Promise<string | undefined> {
  const row = await db.webAuthnChallenge.findUnique({ where: { id } });
  if (!row || row.purpose !== purpose || row.userId !== userId) return undefined;
  const taken = await db.webAuthnChallenge.deleteMany({ where: { id, expiresAt: { gt: new Date() } } });
  return taken.count === 1 ? row.challenge : undefined;
}

type Person = { id: string; name: string; email: string | null };

export async function registrationOptions(db: Db, user: Person, rp: RelyingParty) {
  const existing = await db.passkey.findMany({ where: { userId: user.id }, select: { credentialId: true, transports: true } });
  if (existing.length >= MAX_PASSKEYS) throw new ApiError("conflict", `You have ${MAX_PASSKEYS} passkeys: remove one before adding another.`);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email ?? user.id,
    userDisplayName: user.name,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  return { challengeId: await saveChallenge(db, options.challenge, "register", user.id), options };
}

/** Checks a new passkey's answer and stores it; audited by the caller in the same transaction. */
export async function registerPasskey(tx: Tx, user: Person, rp: RelyingParty, input: { challengeId: string; response: RegistrationResponseJSON; name: string }): Promise<PasskeyView> {
  const challenge = await takeChallenge(tx, input.challengeId, "register", user.id);
  if (!challenge) throw new ApiError("gone", "This passkey request has expired. Try adding the passkey again.");
  let verified;
  try {
    verified = await verifyRegistrationResponse({ response: input.response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true });
  } catch (err) {
    throw new ApiError("invalid_input", `The passkey could not be checked: ${(err as Error).message}`);
  }
  if (!verified.verified) throw new ApiError("invalid_input", "The passkey could not be checked. Try again.");
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  if (await tx.passkey.findUnique({ where: { credentialId: credential.id }, select: { id: true } })) {
    throw new ApiError("conflict", "This passkey is already registered.");
  }
  const row = await tx.passkey.create({
    data: {
      userId: user.id,
      credentialId: credential.id,
      publicKey: new Uint8Array(credential.publicKey),
      counter: BigInt(credential.counter),
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: input.name,
    },
  });
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), lastUsedAt: null, synced: row.backedUp };
}

export async function authenticationOptions(db: Db, rp: RelyingParty) {
  const options = await generateAuthenticationOptions({ rpID: rp.id, userVerification: "required" });
  return { challengeId: await saveChallenge(db, options.challenge, "authenticate", null), options };
}

/** The person a passkey answer proves, or undefined (unknown passkey, wrong challenge, bad signature, cloned authenticator). */
export async function verifyPasskeySignIn(db: Db, rp: RelyingParty, input: { challengeId: string; response: AuthenticationResponseJSON }): Promise<{ userId: string; passkeyId: string } | undefined> {
  const challenge = await takeChallenge(db, input.challengeId, "authenticate", null);
  if (!challenge) return undefined;
  const passkey = await db.passkey.findUnique({ where: { credentialId: input.response.id } });
  if (!passkey) return undefined;
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: passkey.transports },
    });
  } catch {
    return undefined;
  }
  if (!verified.verified) return undefined;
  await db.passkey.update({ where: { id: passkey.id }, data: { counter: BigInt(verified.authenticationInfo.newCounter), lastUsedAt: new Date() } });
  return { userId: passkey.userId, passkeyId: passkey.id };
}

export async function listPasskeys(db: Db, userId: string): Promise<PasskeyView[]> {
  const rows = await db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null, synced: r.backedUp }));
}
