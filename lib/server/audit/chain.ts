// The audit trail's hash chain (docs/architecture.md, "The audit trail"): the same hash the
// database trigger computes (migration 20261212100000_audit_chain, audit_row_hash), here to check
// it — over the database by `npm run admin -- audit-verify` and /admin, and over an exported file
// with no database at all. Pure: no I/O.
import { createHash } from "node:crypto";
import type { AuditRecord } from "@/lib/shared/audit";

export type { AuditRecord };

export const AUDIT_LABEL = "parley/audit/v1";
/** The first row's prevHash. */
export const GENESIS_HASH = "00".repeat(32);

function field(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

const text = (t: string | null) => field(Buffer.from(t ?? "", "utf8"));

/** SHA-256(enc(label, u64 id, at, actorUserId, actorName, actorRole, subjectUserId, subjectName, consultId, action, detail, ip, userAgent, prevHash)), hex. */
export function auditHash(r: Omit<AuditRecord, "hash">): string {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(BigInt(r.id));
  const parts = [
    text(AUDIT_LABEL),
    field(id),
    text(r.at),
    text(r.actorUserId),
    text(r.actorName),
    text(r.actorRole),
    text(r.subjectUserId),
    text(r.subjectName),
    text(r.consultId),
    text(r.action),
    text(r.detail),
    text(r.ip),
    text(r.userAgent),
    field(Buffer.from(r.prevHash, "hex")),
  ];
  return createHash("sha256").update(Buffer.concat(parts)).digest("hex");
}

export type ChainProblem = { id: string; problem: "altered" | "unlinked" | "out_of_order"; message: string };

export type ChainReport = {
  /** rows whose hash was recomputed */
  checked: number;
  /** links checked between neighbouring rows (every row of a whole chain; adjacent ids only in a filtered export) */
  links: number;
  /** the last row checked: its id and hash (write it down to notice a rewrite later) */
  head: { id: string; hash: string } | undefined;
  /** the first row that does not check out; nothing after it is trusted */
  firstBroken: ChainProblem | undefined;
};

/**
 * Checks rows in id order. `whole`: these are every row from the first (a database walk), so each
 * row must link to the one before it and the first to the genesis; otherwise (a filtered export)
 * only rows with adjacent ids are linked. Stops at the first problem.
 */
export class ChainCheck {
  private prev: { id: bigint; hash: string } | undefined;
  private report: ChainReport = { checked: 0, links: 0, head: undefined, firstBroken: undefined };

  constructor(private readonly whole: boolean) {}

  /** false once a problem was found */
  add(r: AuditRecord): boolean {
    if (this.report.firstBroken) return false;
    const id = BigInt(r.id);
    const broken = (problem: ChainProblem["problem"], message: string) => {
      this.report.firstBroken = { id: r.id, problem, message };
      return false;
    };
    if (this.prev && id <= this.prev.id) return broken("out_of_order", `row ${r.id} comes after row ${this.prev.id}`);
    if (auditHash(r) !== r.hash.toLowerCase()) return broken("altered", `row ${r.id} does not match its hash: a field was changed after it was written`);
    this.report.checked++;
    const expected = this.prev ? this.prev.hash : GENESIS_HASH;
    if (this.whole || (this.prev && this.prev.id + 1n === id)) {
      if (r.prevHash.toLowerCase() !== expected) {
        return broken(
          "unlinked",
          this.prev ? `row ${r.id} does not follow row ${this.prev.id}: a row between them was removed, added or rewritten` : `row ${r.id} is not the start of the chain: rows before it were removed`,
        );
      }
      this.report.links++;
    }
    this.prev = { id, hash: r.hash.toLowerCase() };
    this.report.head = { id: r.id, hash: this.prev.hash };
    return true;
  }

  result(): ChainReport {
    return { ...this.report };
  }
}

/** One line for a person: what the check found. */
export function describeReport(r: ChainReport): string {
  if (r.firstBroken) return `BROKEN at row ${r.firstBroken.id}: ${r.firstBroken.message}. ${r.checked} row(s) before it check out.`;
  if (!r.head) return "The audit trail is empty.";
  return `OK: ${r.checked} row(s) check out, ${r.links} link(s); the head is row ${r.head.id}, hash ${r.head.hash}.`;
}
