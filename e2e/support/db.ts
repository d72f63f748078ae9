// A tiny PostgreSQL client on the `pg` project's database (TEST_DATABASE_URL, which
// scripts/test.sh exports to the Playwright process too), for what the HTTP API cannot do by
// design: add a second staff account, and prove that a refused request wrote nothing.
// It never imports lib/server (that is `server-only`); the few lines it needs are copied here.
import { hash as argon2Hash } from "@node-rs/argon2";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";

export type StaffAccount = { id: string; email: string; password: string; name: string; role: "doctor" | "admin" };

/** The tables a refused request must leave alone. */
export const WATCHED_TABLES = ["Consult", "Invite", "Participant", "Event", "AuditEvent", "User", "AccountLink"] as const;
export type RowCounts = Record<(typeof WATCHED_TABLES)[number], number>;

/** Row counts plus a digest of the mutable columns of the consults in scope. */
export type DbState = { counts: RowCounts; digest: string };

// lib/server/auth/password.ts: argon2id of the NFKC form, m=64 MiB, t=3, p=1, 16-byte salt,
// 32-byte hash, as a PHC string. The server's current parameters, so that signing in does not
// rehash the row (which would change the staff digest below).
export async function hashPassword(password: string): Promise<string> {
  return argon2Hash(password.normalize("NFKC"), {
    algorithm: 2, // Algorithm.Argon2id: an ambient const enum, which isolatedModules cannot read
    memoryCost: 65536,
    timeCost: 3,
    parallelism: 1,
    outputLen: 32,
    salt: randomBytes(16),
  });
}

export class TestDb {
  private constructor(private readonly client: pg.Client) {}

  static async connect(): Promise<TestDb> {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error("TEST_DATABASE_URL is unset: run these specs through `npm test` (project pg)");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new TestDb(client);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  /** A staff account that signs in through the `staff` provider like the seeded ones. */
  async createStaff(role: "doctor" | "admin", name: string, password = `pw-${randomBytes(9).toString("base64url")}`): Promise<StaffAccount> {
    const id = randomUUID();
    const email = `${role}-${id.slice(0, 8)}@parley.test`;
    await this.client.query(
      `INSERT INTO "User" ("id", "email", "name", "role", "passwordHash", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4::"Role", $5, now(), now())`,
      [id, email, name, role, await hashPassword(password)],
    );
    return { id, email, password, name, role };
  }

  /** A one-time account link (lib/server/staff/links.ts: only SHA-256 of the token is stored); answers the token. */
  async accountLink(purpose: "setup" | "password", userId?: string): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.client.query(
      `INSERT INTO "AccountLink" ("id", "purpose", "tokenHash", "userId", "createdAt", "expiresAt")
       VALUES ($1, $2::"AccountLinkPurpose", $3, $4, now(), now() + interval '1 hour')`,
      [randomUUID(), purpose, createHash("sha256").update(token).digest(), userId ?? null],
    );
    return token;
  }

  /** Disables an account the way the admin would (the user row's `disabledAt`). */
  async disableUser(id: string): Promise<void> {
    await this.client.query(`UPDATE "User" SET "disabledAt" = now(), "updatedAt" = now() WHERE "id" = $1::uuid`, [id]);
  }

  /**
   * Rows in the watched tables. Presence events are written by event streams in the background
   * (a stream that closes writes "offline" a moment later), so only those of the consults in
   * `scope` are counted; every other event counts wherever it is.
   */
  async counts(scope: readonly string[] = []): Promise<RowCounts> {
    const { rows } = await this.client.query<Record<string, string>>(
      `SELECT
         (SELECT count(*) FROM "Consult") AS "Consult",
         (SELECT count(*) FROM "Invite") AS "Invite",
         (SELECT count(*) FROM "Participant") AS "Participant",
         (SELECT count(*) FROM "Event" WHERE "kind" <> 'presence' OR "consultId" = ANY($1::uuid[])) AS "Event",
         (SELECT count(*) FROM "AuditEvent") AS "AuditEvent",
         (SELECT count(*) FROM "User") AS "User",
         (SELECT count(*) FROM "AccountLink") AS "AccountLink"`,
      [scope],
    );
    const row = rows[0];
    if (!row) throw new Error("no row from the count query");
    const counts = {} as RowCounts;
    for (const table of WATCHED_TABLES) counts[table] = Number(row[table]);
    return counts;
  }

  /**
   * A digest of what a request could change in these consults short of adding rows: consult
   * status and log head, invite use and revocation, participant states (not `lastSeenAt`, which
   * event streams refresh); and every staff account's role, state and password.
   */
  async digest(consultIds: readonly string[]): Promise<string> {
    const { rows } = await this.client.query<{ digest: string | null }>(
      `SELECT md5(
         coalesce((SELECT string_agg(concat_ws('|', "id", "status", "eventSeq", "startedAt", "endedAt", "patientId"), ';' ORDER BY "id")
                     FROM "Consult" WHERE "id" = ANY($1::uuid[])), '') || '#' ||
         coalesce((SELECT string_agg(concat_ws('|', "id", "usedAt", "usedByUserId", "revokedAt", "expiresAt"), ';' ORDER BY "id")
                     FROM "Invite" WHERE "consultId" = ANY($1::uuid[])), '') || '#' ||
         coalesce((SELECT string_agg(concat_ws('|', "id", "state", "admittedAt", "leftAt", "removedAt", "displayName"), ';' ORDER BY "id")
                     FROM "Participant" WHERE "consultId" = ANY($1::uuid[])), '') || '#' ||
         coalesce((SELECT string_agg(concat_ws('|', "id", "role", "disabledAt", md5(coalesce("passwordHash", ''))), ';' ORDER BY "id")
                     FROM "User" WHERE "role" <> 'patient'), '')
       ) AS digest`,
      [consultIds],
    );
    return rows[0]?.digest ?? "";
  }

  /** Counts and digest together: compare before and after a request that must write nothing. */
  async state(consultIds: readonly string[]): Promise<DbState> {
    return { counts: await this.counts(consultIds), digest: await this.digest(consultIds) };
  }

  /** The latest audit rows of an action whose detail names this email (sign-in attempts). */
  async signInAudit(email: string, action: string): Promise<{ ip: string | null }[]> {
    const { rows } = await this.client.query<{ ip: string | null }>(`SELECT "ip" FROM "AuditEvent" WHERE "action" = $1 AND "detail"->>'email' = $2 ORDER BY "id" DESC`, [action, email]);
    return rows;
  }

  /** Convenience for a scoped count in one table (e.g. events of one consult). */
  async eventsOf(consultId: string): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM "Event" WHERE "consultId" = $1::uuid`, [consultId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The ids of a consult's invites that a patient has used. */
  async usedInvites(consultId: string): Promise<string[]> {
    const { rows } = await this.client.query<{ id: string }>(`SELECT id FROM "Invite" WHERE "consultId" = $1::uuid AND "usedAt" IS NOT NULL ORDER BY "usedAt"`, [consultId]);
    return rows.map((r) => r.id);
  }

  /**
   * Every row of every table of the database, as a stolen-server attacker would have them: text
   * columns as text, byte columns as raw bytes (see `dumpContains`).
   */
  async dump(): Promise<{ table: string; row: Record<string, unknown> }[]> {
    const { rows: tables } = await this.client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: { table: string; row: Record<string, unknown> }[] = [];
    for (const { name } of tables) {
      const { rows } = await this.client.query<Record<string, unknown>>(`SELECT * FROM "${name.replace(/"/g, '""')}"`);
      for (const row of rows) out.push({ table: name, row });
    }
    return out;
  }

  /** The stored messages of a consult with everything a holder of a key needs to try opening them. */
  async sealedMessagesOf(consultId: string): Promise<{ id: string; senderDeviceId: string; seq: bigint; keyId: Buffer; iv: Buffer; ciphertext: Buffer }[]> {
    const { rows } = await this.client.query<{ id: string; senderDeviceId: string; seq: string; keyId: Buffer; iv: Buffer; ciphertext: Buffer }>(
      `SELECT "id", "senderDeviceId", "seq"::text AS "seq", "keyId", "iv", "ciphertext" FROM "Message" WHERE "consultId" = $1::uuid ORDER BY "createdAt", "id"`,
      [consultId],
    );
    return rows.map((r) => ({ ...r, seq: BigInt(r.seq) }));
  }

  /**
   * Gives a device a box key (random bytes in its place): what the key-copy routes check before
   * they take a copy for it. For authorization tests, which do not run the browser's signing.
   */
  async giveBoxKey(deviceId: string): Promise<void> {
    await this.client.query(`UPDATE "Device" SET "boxKey" = $2, "boxKeySig" = $3 WHERE id = $1::uuid`, [deviceId, randomBytes(91), randomBytes(64)]);
  }

  /** Retires every records key (a spec that makes one leaves the clinic as it found it). */
  async retireRecordsKeys(): Promise<void> {
    await this.client.query(`UPDATE "RecordsKey" SET "retiredAt" = now() WHERE "retiredAt" IS NULL`);
  }

  /** The audit actions a person took, oldest first. */
  async auditActions(userId: string): Promise<string[]> {
    const { rows } = await this.client.query<{ action: string }>(`SELECT "action" FROM "AuditEvent" WHERE "actorUserId" = $1::uuid ORDER BY "id"`, [userId]);
    return rows.map((r) => r.action);
  }

  async userIdOf(email: string): Promise<string | undefined> {
    const { rows } = await this.client.query<{ id: string }>(`SELECT "id" FROM "User" WHERE "email" = $1`, [email]);
    return rows[0]?.id;
  }

  /** The ids of a consult's audit rows, oldest first. */
  async auditIdsOfConsult(consultId: string): Promise<string[]> {
    const { rows } = await this.client.query<{ id: string }>(`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE "consultId" = $1::uuid ORDER BY "AuditEvent"."id"`, [consultId]);
    return rows.map((r) => r.id);
  }

  /** Flips one bit of the stored ciphertext of a message (what a tampering server could do). */
  async flipMessageByte(messageId: string, index = 40): Promise<void> {
    const r = await this.client.query(`UPDATE "Message" SET "ciphertext" = set_byte("ciphertext", $2, get_byte("ciphertext", $2) # 1) WHERE "id" = $1::uuid`, [messageId, index]);
    if (r.rowCount !== 1) throw new Error(`no message ${messageId}`);
  }

  /** Deletes a stored message and the event that carried it (a server losing or withholding it). */
  async deleteMessage(messageId: string): Promise<void> {
    await this.client.query(`DELETE FROM "Event" WHERE "kind" = 'message' AND "payload"->>'id' = $1`, [messageId]);
    const r = await this.client.query(`DELETE FROM "Message" WHERE "id" = $1::uuid`, [messageId]);
    if (r.rowCount !== 1) throw new Error(`no message ${messageId}`);
  }

  /** The consult's documents as the server keeps them: ids, the store's key, ciphertext size. */
  async filesOf(consultId: string): Promise<{ id: string; storageKey: string; sizeBytes: number; status: string }[]> {
    const { rows } = await this.client.query<{ id: string; storageKey: string; sizeBytes: string; status: string }>(
      `SELECT "id", "storageKey", "sizeBytes", "status"::text AS "status" FROM "File" WHERE "consultId" = $1::uuid ORDER BY "createdAt", "id"`,
      [consultId],
    );
    return rows.map((r) => ({ ...r, sizeBytes: Number(r.sizeBytes) }));
  }

  /** The stored messages of a consult in the order the server received them. */
  async messagesOf(consultId: string): Promise<{ id: string; senderDeviceId: string; seq: number; keyId: string }[]> {
    const { rows } = await this.client.query<{ id: string; senderDeviceId: string; seq: string; keyId: string }>(
      `SELECT "id", "senderDeviceId", "seq", "keyId" FROM "Message" WHERE "consultId" = $1::uuid ORDER BY "createdAt", "id"`,
      [consultId],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }
}

/**
 * Whether any value of a dump holds `needle`: as text anywhere (JSON, strings), and for byte
 * columns also as raw bytes and in hex and base64/base64url.
 */
export function dumpContains(dump: { row: Record<string, unknown> }[], needle: Buffer): string | undefined {
  const forms = [needle.toString("hex"), needle.toString("base64"), needle.toString("base64url"), needle.toString("latin1")].filter((f) => f.length >= 8);
  for (const { row } of dump) {
    for (const [column, value] of Object.entries(row)) {
      if (Buffer.isBuffer(value)) {
        if (value.indexOf(needle) >= 0) return column;
        continue;
      }
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (text && forms.some((f) => text.includes(f))) return column;
    }
  }
  return undefined;
}
