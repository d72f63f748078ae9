import type { AuditFilter } from "@/lib/shared/audit";

/** A filter as text (an export's header, an audit row's detail): ids, actions and ISO dates, never content. */
export function filterDetail(f: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : String(v);
  return out;
}
