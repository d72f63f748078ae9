import type { AuditRecord } from "@/lib/shared/audit";

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" });

const who = (name: string | null, role: string | null, id: string | null) => (name ? `${name}${role ? ` (${role})` : ""}` : id ? `deleted account ${id.slice(0, 8)}` : "system or command line");

/** The detail without braces, for reading: `{"method": "password"}` → `method: "password"`. */
function detailText(detail: string): string {
  return detail === "{}" ? "" : detail.replace(/^\{|\}$/g, "");
}

/** Audit rows as a table: who, what, whom, which consult, from where (address and browser), and the detail. */
export function AuditTable({ rows, consultHref }: { rows: AuditRecord[]; consultHref?: (consultId: string) => string }) {
  return (
    <table className="w-full text-left text-sm" data-testid="audit-log">
      <thead className="text-slate-500">
        <tr>
          <th className="px-4 py-2 font-medium">When (UTC)</th>
          <th className="px-4 py-2 font-medium">Who</th>
          <th className="px-4 py-2 font-medium">What</th>
          <th className="px-4 py-2 font-medium">Whom</th>
          <th className="px-4 py-2 font-medium">Consult</th>
          <th className="px-4 py-2 font-medium">From</th>
          <th className="px-4 py-2 font-medium">Detail</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 align-top">
        {rows.map((e) => (
          <tr key={e.id} data-testid="audit-row" data-audit-id={e.id}>
            <td className="whitespace-nowrap px-4 py-2">{fmt.format(new Date(e.at))}</td>
            <td className="px-4 py-2">{who(e.actorName, e.actorRole, e.actorUserId)}</td>
            <td className="px-4 py-2 font-mono text-xs">{e.action}</td>
            <td className="px-4 py-2">{e.subjectUserId ? (e.subjectName ?? e.subjectUserId.slice(0, 8)) : ""}</td>
            <td className="px-4 py-2 font-mono text-xs">
              {e.consultId ? (
                consultHref ? (
                  <a className="text-brand-700 underline" href={consultHref(e.consultId)} title={e.consultId}>
                    {e.consultId.slice(0, 8)}
                  </a>
                ) : (
                  <span title={e.consultId}>{e.consultId.slice(0, 8)}</span>
                )
              ) : (
                ""
              )}
            </td>
            <td className="max-w-56 px-4 py-2 text-xs">
              <div className="font-mono">{e.ip ?? ""}</div>
              <div className="truncate text-slate-500" title={e.userAgent ?? undefined}>
                {e.userAgent ?? ""}
              </div>
            </td>
            <td className="max-w-72 break-words px-4 py-2 font-mono text-xs text-slate-600">{detailText(e.detail)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
