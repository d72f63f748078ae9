import type { Metadata } from "next";
import { headers } from "next/headers";
import { pageUser } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings } from "@/lib/server/env";
import { audit } from "@/lib/server/audit";
import { consultPage } from "@/lib/server/consult-list";
import { contextOf } from "@/lib/server/request-context";
import { listStaff } from "@/lib/server/staff/accounts";
import { consultListQuery } from "@/lib/shared/consult-list";
import { singleValues } from "@/lib/shared/href";
import { AppHeader } from "@/components/app-header";
import { ConsultTable } from "@/components/admin/consult-table";
import { OlderPageLink } from "@/components/admin/older-page-link";

export const metadata: Metadata = { title: "Consults" };

/** Every consult of the clinic: doctor, times, state, counts. Metadata only, newest first, 100 a page. */
export default async function ConsultsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await pageUser("admin");
  const given = singleValues(await searchParams);
  const parsed = consultListQuery.safeParse(given);
  const db = await getDb();
  const doctors = (await listStaff(db)).filter((s) => s.role === "doctor");
  const page = parsed.success ? await consultPage(db, parsed.data) : { rows: [], next: undefined };
  if (parsed.success && !parsed.data.before) {
    const { doctor, status } = parsed.data;
    await audit(
      { action: "consults.listed", actorUserId: user.id, detail: { ...(doctor ? { doctor } : {}), ...(status ? { status } : {}), shown: page.rows.length }, ...contextOf(await headers()) },
      db,
    );
  }
  const filter = { doctor: given.doctor ?? "", status: given.status ?? "" };
  const field = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm";
  return (
    <>
      <AppHeader name={user.name} home="/admin" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-7xl space-y-6 px-4 py-8">
        <div className="flex flex-wrap items-baseline justify-between gap-3">
          <h1 className="text-2xl font-semibold">Consults</h1>
          <a href="/admin" className="text-sm text-brand-700 underline">
            Back to clinic admin
          </a>
        </div>
        <p className="rounded-2xl border border-slate-200 bg-slate-50 px-5 py-3 text-sm text-slate-700" data-testid="consult-list-notice">
          Metadata only: who ran each consult, when, and how many messages and documents it holds. Their content is end-to-end encrypted between the doctor&apos;s and the patient&apos;s devices; the
          server cannot read it, and this page never shows it. To read a record, use the clinic&apos;s records key (
          <a href="/admin/records" className="text-brand-700 underline">
            Consult records
          </a>
          ).
        </p>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <form method="get" action="/admin/consults" className="grid gap-4 px-5 py-4 sm:grid-cols-3" data-testid="consult-filter">
            <label className="text-sm">
              Doctor
              <select name="doctor" defaultValue={filter.doctor} className={field}>
                <option value="">Any doctor</option>
                {doctors.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({d.email})
                  </option>
                ))}
              </select>
            </label>
            <label className="text-sm">
              State
              <select name="status" defaultValue={filter.status} className={field}>
                <option value="">Any state</option>
                <option value="scheduled">scheduled</option>
                <option value="open">open</option>
                <option value="ended">ended</option>
                <option value="cancelled">cancelled</option>
              </select>
            </label>
            <div className="flex items-end">
              <button type="submit" className="inline-flex min-h-11 items-center rounded-xl bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
                Show
              </button>
            </div>
          </form>
          {parsed.success ? null : (
            <p className="border-t border-slate-200 px-5 py-3 text-sm text-red-700" role="alert">
              This filter cannot be used: {parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}.
            </p>
          )}
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          {page.rows.length ? <ConsultTable rows={page.rows} /> : <p className="px-5 py-6 text-sm text-slate-600">No consults match.</p>}
          <OlderPageLink path="/admin/consults" params={filter} before={page.next} label="Older consults" testId="consult-list-older" />
        </section>
      </main>
    </>
  );
}
