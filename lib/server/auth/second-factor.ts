import "server-only";
import type { SessionUser } from "../authz";
import type { Db } from "../db";

/**
 * Whether the caller's sign-in proved a second factor: a passkey, or a password with an
 * authenticator code or a recovery code. Restoring a backup and linking a device need one.
 */
export async function hasSecondFactor(db: Db, me: SessionUser): Promise<boolean> {
  if (!me.sessionId) return false;
  const s = await db.session.findUnique({ where: { id: me.sessionId }, select: { method: true } });
  return !!s && (s.method === "passkey" || s.method.startsWith("password+"));
}
