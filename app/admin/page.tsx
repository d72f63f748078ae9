import type { Metadata } from "next";
import { pageUser } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings, getServerEnv } from "@/lib/server/env";
import { adminOverview } from "@/lib/server/admin";
import { AppHeader } from "@/components/app-header";
import { StaffPanel } from "@/components/admin/staff-panel";
import { RecordsKeyPanel } from "@/components/admin/records-key-panel";

export const metadata: Metadata = { title: "Clinic admin" };

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" });

export default async function AdminPage() {
  const user = await pageUser("admin");
  const { staff, events } = await adminOverview(await getDb());
  return (
    <>
      <AppHeader name={user.name} home="/admin" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">
        <h1 className="text-2xl font-semibold">Clinic admin</h1>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Records key</h2>
          <RecordsKeyPanel enabled={getServerEnv().recordsKey} />
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Staff</h2>
          <StaffPanel staff={staff} me={user.id} />
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          <div className="flex items-center justify-between border-b border-slate-200 px-5 py-3">
            <h2 className="font-semibold">Audit log (latest 200)</h2>
            <a href="/api/admin/audit" download data-testid="audit-export" className="text-sm text-brand-700 underline">
              Export all as CSV
            </a>
          </div>
          <table className="w-full text-left text-sm" data-testid="audit-log">
            <thead className="text-slate-500">
              <tr>
                <th className="px-5 py-2 font-medium">When (UTC)</th>
                <th className="px-5 py-2 font-medium">Who</th>
                <th className="px-5 py-2 font-medium">What</th>
                <th className="px-5 py-2 font-medium">Whom</th>
                <th className="px-5 py-2 font-medium">Consult</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {events.map((e) => (
                <tr key={e.id} data-testid="audit-row">
                  <td className="whitespace-nowrap px-5 py-2">{fmt.format(e.at)}</td>
                  <td className="px-5 py-2">{e.actor ? `${e.actor.name} (${e.actor.role})` : "system or command line"}</td>
                  <td className="px-5 py-2 font-mono text-xs">{e.action}</td>
                  <td className="px-5 py-2">{e.subject ?? ""}</td>
                  <td className="px-5 py-2 font-mono text-xs">{e.consultId?.slice(0, 8) ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </main>
    </>
  );
}
