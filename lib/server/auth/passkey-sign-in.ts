import "server-only";
// A staff member signs in with a passkey alone: the answer is checked (passkeys.ts), the account
// must be an active staff account, and the sign-in is audited and made into a full Session row.
// Not throttled by wrong passwords: a stranger's guesses never stop the real user's passkey.
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Db } from "../db";
import { audit } from "../audit";
import { verifyPasskeySignIn, type RelyingParty } from "./passkeys";
import { createSession } from "./sessions";

export type PasskeySignIn = { user: { id: string; name: string; email: string | null }; sid: string } | undefined;

export async function passkeySignIn(
  db: Db,
  rp: RelyingParty,
  input: { challengeId: string; response: AuthenticationResponseJSON },
  client: { ip: string | undefined; userAgent: string | null },
): Promise<PasskeySignIn> {
  const proof = await verifyPasskeySignIn(db, rp, input);
  const user = proof && (await db.user.findUnique({ where: { id: proof.userId } }));
  if (!proof || !user || user.disabledAt || user.role === "patient" || !user.passwordHash) {
    await audit({ action: "auth.sign_in_failed", actorUserId: user?.id, subjectUserId: user?.id, detail: { method: "passkey" }, ip: client.ip }, db);
    return undefined;
  }
  const sid = await db.$transaction(async (tx) => {
    await audit({ action: "auth.sign_in", actorUserId: user.id, subjectUserId: user.id, detail: { method: "passkey", passkeyId: proof.passkeyId }, ip: client.ip }, tx);
    return createSession(tx, { userId: user.id, method: "passkey", ip: client.ip, userAgent: client.userAgent });
  });
  return { user: { id: user.id, name: user.name, email: user.email }, sid };
}
