import type { Metadata } from "next";
import { pageUser } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings, getServerEnv } from "@/lib/server/env";
import { adminOverview, OVERVIEW_AUDIT_ROWS } from "@/lib/server/admin";
import { AppHeader } from "@/components/app-header";
import { StaffPanel } from "@/components/admin/staff-panel";
import { RecordsKeyPanel } from "@/components/admin/records-key-panel";
import { AuditChainState } from "@/components/admin/audit-chain-state";
import { AuditTable } from "@/components/admin/audit-table";

export const metadata: Metadata = { title: "Clinic admin" };

export default async function AdminPage() {
  const user = await pageUser("admin");
  const { staff, events } = await adminOverview(await getDb());
  return (
    <>
      <AppHeader name={user.name} home="/admin" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">
        <div className="flex flex-wrap items-baseline justify-between gap-3">
          <h1 className="text-2xl font-semibold">Clinic admin</h1>
          <nav className="flex gap-4 text-sm">
            <a href="/admin/consults" className="text-brand-700 underline" data-testid="consult-list-link">
              Consults
            </a>
            <a href="/admin/audit" className="text-brand-700 underline">
              Audit log
            </a>
            <a href="/admin/records" className="text-brand-700 underline">
              Consult records
            </a>
          </nav>
        </div>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Records key</h2>
          <RecordsKeyPanel enabled={getServerEnv().recordsKey} />
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Staff</h2>
          <StaffPanel staff={staff} me={user.id} />
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-5 py-3">
            <h2 className="font-semibold">Audit log (latest {OVERVIEW_AUDIT_ROWS})</h2>
            <div className="flex gap-4 text-sm">
              <a href="/admin/audit" data-testid="audit-viewer-link" className="text-brand-700 underline">
                Search the audit log
              </a>
              <a href="/api/admin/audit" download data-testid="audit-export" className="text-brand-700 underline">
                Export all as CSV
              </a>
            </div>
          </div>
          <AuditChainState />
          <AuditTable rows={events} consultHref={(id) => `/admin/audit?consult=${id}`} />
        </section>
      </main>
    </>
  );
}
