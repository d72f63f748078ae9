// lib/server/audit/chain.ts: the audit row hash as docs/architecture.md and the migration define
// it (rebuilt here byte by byte from the written format, and pinned), and the chain check's verdicts.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";

import { auditHash, ChainCheck, describeReport, GENESIS_HASH, type AuditRecord } from "@/lib/server/audit/chain";
import { auditFilter, auditPageQuery } from "@/lib/shared/audit";

const row: Omit<AuditRecord, "hash"> = {
  id: "42",
  at: "2026-12-07T09:30:00.123Z",
  actorUserId: "0b0e5c1e-8d3a-4f5e-9a6b-7c8d9e0f1a2b",
  actorName: "Dr. Zoë Ålund",
  actorRole: "doctor",
  subjectUserId: null,
  subjectName: null,
  consultId: "3f0c2d1e-4b5a-4c6d-8e7f-901a2b3c4d5e",
  action: "records.document_fetched",
  // as PostgreSQL prints a jsonb: shorter keys first
  detail: '{"size": 1024, "fileId": "f"}',
  ip: "203.0.113.9",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131",
  prevHash: "ab".repeat(32),
};

/** enc() of docs/protocol.md §0, written out again: a 4-byte big-endian length, then the bytes. */
function enc(fields: Buffer[]): Buffer {
  return Buffer.concat(fields.flatMap((f) => [Buffer.from([f.length >>> 24, (f.length >>> 16) & 255, (f.length >>> 8) & 255, f.length & 255]), f]));
}

describe("the audit row hash", () => {
  it("is SHA-256 of enc(label, u64 id, the fields as UTF-8 text, prevHash), nulls as empty fields", () => {
    const t = (s: string | null) => Buffer.from(s ?? "", "utf8");
    const expected = createHash("sha256")
      .update(
        enc([
          t("parley/audit/v1"),
          Buffer.from([0, 0, 0, 0, 0, 0, 0, 42]),
          t(row.at),
          t(row.actorUserId),
          t(row.actorName),
          t(row.actorRole),
          t(""),
          t(""),
          t(row.consultId),
          t(row.action),
          t(row.detail),
          t(row.ip),
          t(row.userAgent),
          Buffer.from(row.prevHash, "hex"),
        ]),
      )
      .digest("hex");
    expect(auditHash(row)).toBe(expected);
    // Pinned: changing the format breaks every chain already written.
    expect(auditHash(row)).toBe("5131645bf3dd6ba31c57d4ecda63b18e70a10a233ad725ee638883e997a009de");
  });

  it("changes with every field", () => {
    const base = auditHash(row);
    for (const key of Object.keys(row) as (keyof typeof row)[]) {
      const changed = { ...row, [key]: key === "id" ? "43" : key === "prevHash" ? "cd".repeat(32) : `${row[key] ?? ""}x` };
      expect(auditHash(changed), key).not.toBe(base);
    }
  });
});

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const r = { ...row, id: String(i), detail: `{"i": ${i}}`, prevHash: prev };
    const hash = auditHash(r);
    out.push({ ...r, hash });
    prev = hash;
  }
  return out;
}

const check = (rows: AuditRecord[], whole: boolean) => {
  const c = new ChainCheck(whole);
  for (const r of rows) if (!c.add(r)) break;
  return c.result();
};

describe("checking a chain", () => {
  it("a whole chain checks out and reports its head", () => {
    const rows = chain(5);
    const r = check(rows, true);
    expect(r).toEqual({ checked: 5, links: 5, head: { id: "5", hash: rows[4]?.hash }, firstBroken: undefined });
    expect(describeReport(r)).toMatch(/^OK: 5 row\(s\) check out, 5 link\(s\); the head is row 5/);
  });

  it("names the first altered row, the first unlinked one, and rows out of order", () => {
    const rows = chain(5);
    const altered = rows.map((r) => (r.id === "3" ? { ...r, ip: "198.51.100.1" } : r));
    expect(check(altered, true).firstBroken).toMatchObject({ id: "3", problem: "altered" });
    expect(
      check(
        rows.filter((r) => r.id !== "3"),
        true,
      ).firstBroken,
    ).toMatchObject({ id: "4", problem: "unlinked" });
    expect(check(rows.slice(1), true).firstBroken).toMatchObject({ id: "2", problem: "unlinked", message: expect.stringContaining("rows before it were removed") as string });
    const swapped = [rows[0], rows[2], rows[1]].filter((r): r is AuditRecord => r !== undefined);
    expect(check(swapped, true).firstBroken).toMatchObject({ id: "3", problem: "unlinked" });
    expect(check(swapped, false).firstBroken).toMatchObject({ id: "2", problem: "out_of_order" });
    expect(describeReport(check(altered, true))).toMatch(/^BROKEN at row 3: .* 2 row\(s\) before it check out/);
  });

  it("a filtered set links only neighbours: a gap is no break, a re-hashed row still is", () => {
    const rows = chain(6);
    const picked = rows.filter((r) => ["2", "3", "5"].includes(r.id));
    expect(check(picked, false)).toMatchObject({ checked: 3, links: 1, firstBroken: undefined });
    const forged = { ...(rows[2] as AuditRecord), detail: '{"i": 99}' };
    const rehashed = { ...forged, hash: auditHash(forged) };
    expect(check([rows[1] as AuditRecord, rehashed, rows[3] as AuditRecord], false).firstBroken).toMatchObject({ id: "4", problem: "unlinked" });
  });
});

describe("the audit filter", () => {
  it("reads UTC dates and times; a date alone as `to` means the end of that day", () => {
    const f = auditFilter.parse({ from: "2026-12-01", to: "2026-12-07", action: "records", consult: "" });
    expect(f.from?.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(f.to?.toISOString()).toBe("2026-12-08T00:00:00.000Z");
    expect(f.consult).toBeUndefined();
    expect(auditFilter.parse({ from: "2026-12-07T09:30" }).from?.toISOString()).toBe("2026-12-07T09:30:00.000Z");
  });

  it("refuses what is not a filter", () => {
    for (const bad of [{ from: "yesterday" }, { from: "2026-02-30" }, { action: "file%" }, { action: "file' OR 1=1" }, { consult: "42" }, { limit: "5" }]) {
      expect(auditFilter.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(auditPageQuery.safeParse({ before: "0" }).success).toBe(false);
    expect(auditPageQuery.safeParse({ before: "1e5" }).success).toBe(false);
    expect(auditPageQuery.parse({ before: "100000" }).before).toBe("100000");
  });
});
