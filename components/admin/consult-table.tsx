import type { ConsultListRow } from "@/lib/shared/consult-list";
import { LegalHoldButton } from "./legal-hold-button";

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeStyle: "short", timeZone: "UTC" });
const when = (iso: string | null) => (iso ? fmt.format(new Date(iso)) : "");

/** The clinic's consults as a table: metadata and counts, with a link to each one's audit trail. */
export function ConsultTable({ rows }: { rows: ConsultListRow[] }) {
  return (
    <table className="w-full text-left text-sm" data-testid="consult-list">
      <thead className="text-slate-500">
        <tr>
          <th className="px-4 py-2 font-medium">Consult</th>
          <th className="px-4 py-2 font-medium">Doctor</th>
          <th className="px-4 py-2 font-medium">Scheduled (UTC)</th>
          <th className="px-4 py-2 font-medium">Started</th>
          <th className="px-4 py-2 font-medium">Ended</th>
          <th className="px-4 py-2 font-medium">State</th>
          <th className="px-4 py-2 text-right font-medium">Messages</th>
          <th className="px-4 py-2 text-right font-medium">Documents</th>
          <th className="px-4 py-2 font-medium">Legal hold</th>
          <th className="px-4 py-2 font-medium">Audit</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((c) => (
          <tr key={c.id} data-testid="consult-list-row" data-consult-id={c.id}>
            <td className="px-4 py-2 font-mono text-xs" title={c.id}>
              {c.id.slice(0, 8)}
            </td>
            <td className="px-4 py-2">{c.doctor}</td>
            <td className="whitespace-nowrap px-4 py-2">{when(c.scheduledAt)}</td>
            <td className="whitespace-nowrap px-4 py-2">{when(c.startedAt)}</td>
            <td className="whitespace-nowrap px-4 py-2">{when(c.endedAt)}</td>
            <td className="px-4 py-2" data-testid="consult-list-state">
              {c.status}
              {c.purgedAt ? <span className="block text-xs text-slate-500">chat and documents deleted {when(c.purgedAt)} (retention)</span> : null}
            </td>
            <td className="px-4 py-2 text-right tabular-nums" data-testid="consult-list-messages">
              {c.messages}
            </td>
            <td className="px-4 py-2 text-right tabular-nums" data-testid="consult-list-documents">
              {c.documents}
            </td>
            <td className="px-4 py-2 text-xs" data-testid="consult-hold" data-held={c.hold ? "yes" : "no"}>
              {c.hold ? (
                <span className="mb-1 block text-amber-800" title={c.hold.reason}>
                  Held since {when(c.hold.since)}: {c.hold.reason}
                </span>
              ) : null}
              <LegalHoldButton consultId={c.id} held={c.hold !== null} />
            </td>
            <td className="px-4 py-2">
              <a className="text-brand-700 underline" href={`/admin/audit?consult=${c.id}`}>
                Trail
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
