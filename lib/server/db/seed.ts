import "server-only";
// Demo accounts (../shared/TEST-CONTRACT.md), created only when the database has no users yet.
import type { PrismaClient } from "./generated/client";
import { hashPassword } from "../auth/password";

export const DEMO_ACCOUNTS = [
  { email: "doctor@parley.test", name: "Dr. Dana Demo", role: "doctor" },
  { email: "admin@parley.test", name: "Alex Admin", role: "admin" },
] as const;

/** Serialises seeding across app instances starting together on one empty database. */
const SEED_LOCK = 72707370;

export async function seedDemo(db: PrismaClient, password: string): Promise<boolean> {
  if ((await db.user.count()) > 0) return false;
  const passwordHash = await hashPassword(password);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK})`;
    if ((await tx.user.count()) > 0) return false; // another instance seeded first
    for (const a of DEMO_ACCOUNTS) {
      await tx.user.create({ data: { ...a, passwordHash } });
    }
    await tx.auditEvent.create({ data: { action: "demo.seeded", detail: { accounts: DEMO_ACCOUNTS.map((a) => a.email) } } });
    return true;
  });
}
