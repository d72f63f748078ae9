import "server-only";
// Reading the audit trail as it was hashed (chain.ts): every field as text, for the viewer, the
// exports and the chain check. Filters use the indexes of migration 20261212100000_audit_chain
// ((consultId, id), (actorUserId, id), (subjectUserId, id), (action, id), (at)); pages are keyset
// pages by id, newest first, so page 1,000 costs what page 1 does.
import type { Db } from "../db";
import type { AuditFilter } from "@/lib/shared/audit";
import { ChainCheck, type AuditRecord, type ChainReport } from "./chain";

// The output names shadow the columns in ORDER BY ("id" would sort as text): order by "AuditEvent"."id".
const COLUMNS = `"id"::text AS "id", to_char("at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "at",
  "actorUserId"::text AS "actorUserId", "actorName", "actorRole", "subjectUserId"::text AS "subjectUserId", "subjectName",
  "consultId"::text AS "consultId", "action", "detail"::text AS "detail", "ip", "userAgent",
  encode("prevHash", 'hex') AS "prevHash", encode("hash", 'hex') AS "hash"`;

/** SQL conditions for a filter; pushes its values onto `params`. */
function conditions(f: AuditFilter, params: unknown[]): string[] {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const c: string[] = [];
  if (f.person) {
    const who = p(f.person);
    c.push(`("actorUserId" = ${who}::uuid OR "subjectUserId" = ${who}::uuid)`);
  }
  if (f.consult) c.push(`"consultId" = ${p(f.consult)}::uuid`);
  if (f.action?.includes(".")) c.push(`"action" = ${p(f.action)}`);
  // A family, `records`: every action from "records." up to "records/" ('/' follows '.'), on the index.
  else if (f.action) c.push(`"action" >= ${p(`${f.action}.`)} AND "action" < ${p(`${f.action}/`)}`);
  if (f.from) c.push(`"at" >= ${p(f.from.toISOString())}::timestamp`);
  if (f.to) c.push(`"at" < ${p(f.to.toISOString())}::timestamp`);
  return c;
}

const whereOf = (c: string[]) => (c.length ? `WHERE ${c.join(" AND ")}` : "");

export const AUDIT_PAGE_SIZE = 100;

export type AuditPage = { rows: AuditRecord[]; /** the `before` of the next (older) page */ nextBefore: string | undefined };

/** One page of rows matching the filter, newest first, older than `before` (an id). */
export async function auditPage(db: Db, f: AuditFilter, before?: string, size = AUDIT_PAGE_SIZE): Promise<AuditPage> {
  const params: unknown[] = [];
  const c = conditions(f, params);
  if (before) {
    params.push(before);
    c.push(`"id" < $${params.length}::bigint`);
  }
  params.push(size + 1);
  const rows = await db.$queryRawUnsafe<AuditRecord[]>(`SELECT ${COLUMNS} FROM "AuditEvent" ${whereOf(c)} ORDER BY "AuditEvent"."id" DESC LIMIT $${params.length}`, ...params);
  const more = rows.length > size;
  const page = more ? rows.slice(0, size) : rows;
  return { rows: page, nextBefore: more ? page[page.length - 1]?.id : undefined };
}

/** Every row matching the filter, oldest first (chain order), in batches. */
export async function* auditRecords(db: Db, f: AuditFilter, batch = 2_000): AsyncGenerator<AuditRecord> {
  let after = "0";
  for (;;) {
    const params: unknown[] = [];
    const c = conditions(f, params);
    params.push(after);
    c.push(`"id" > $${params.length}::bigint`);
    params.push(batch);
    const rows = await db.$queryRawUnsafe<AuditRecord[]>(`SELECT ${COLUMNS} FROM "AuditEvent" ${whereOf(c)} ORDER BY "AuditEvent"."id" ASC LIMIT $${params.length}`, ...params);
    yield* rows;
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    after = last.id;
  }
}

/** Checks the whole chain, from the first row to the newest; stops at the first broken row. */
export async function verifyAuditTrail(db: Db): Promise<ChainReport> {
  const check = new ChainCheck(true);
  for await (const r of auditRecords(db, {}, 5_000)) if (!check.add(r)) break;
  return check.result();
}

/** The newest row: the chain's head right now. */
export async function auditHead(db: Db): Promise<{ id: string; hash: string } | undefined> {
  const [row] = await db.$queryRawUnsafe<{ id: string; hash: string }[]>(`SELECT "id"::text AS "id", encode("hash", 'hex') AS "hash" FROM "AuditEvent" ORDER BY "AuditEvent"."id" DESC LIMIT 1`);
  return row;
}
