import type { Metadata } from "next";
import { headers } from "next/headers";
import { pageUser } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings } from "@/lib/server/env";
import { audit } from "@/lib/server/audit";
import { filterDetail } from "@/lib/server/audit/filter-detail";
import { auditPage } from "@/lib/server/audit/read";
import { contextOf } from "@/lib/server/request-context";
import { listStaff } from "@/lib/server/staff/accounts";
import { auditPageQuery } from "@/lib/shared/audit";
import { hrefWith, singleValues } from "@/lib/shared/href";
import { AppHeader } from "@/components/app-header";
import { AuditChainState } from "@/components/admin/audit-chain-state";
import { AuditFilterForm } from "@/components/admin/audit-filter-form";
import { AuditTable } from "@/components/admin/audit-table";
import { OlderPageLink } from "@/components/admin/older-page-link";

export const metadata: Metadata = { title: "Audit log" };

type Search = Record<string, string | string[] | undefined>;

/** The audit viewer: filter by person, consult, action and time; newest first, 100 a page; export what the filter picks. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await pageUser("admin");
  const given = singleValues(await searchParams);
  const parsed = auditPageQuery.safeParse(given);
  const db = await getDb();
  const staff = await listStaff(db);
  const { before, ...filter } = parsed.success ? parsed.data : {};
  const page = parsed.success ? await auditPage(db, filter, before) : { rows: [], nextBefore: undefined };
  const filtered = Object.values(filter).some((v) => v !== undefined);
  if (parsed.success && filtered && !before) {
    await audit({ action: "audit.searched", actorUserId: user.id, detail: { filter: filterDetail(filter) }, ...contextOf(await headers()) }, db);
  }
  const filterParams = Object.fromEntries(Object.entries(given).filter(([k]) => k !== "before" && k !== "format"));
  return (
    <>
      <AppHeader name={user.name} home="/admin" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-7xl space-y-6 px-4 py-8">
        <div className="flex flex-wrap items-baseline justify-between gap-3">
          <h1 className="text-2xl font-semibold">Audit log</h1>
          <a href="/admin" className="text-sm text-brand-700 underline">
            Back to clinic admin
          </a>
        </div>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <AuditChainState />
        </section>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <AuditFilterForm staff={staff.map((s) => ({ id: s.id, label: `${s.name} (${s.email})` }))} values={filterParams} />
          {parsed.success ? null : (
            <p className="border-t border-slate-200 px-5 py-3 text-sm text-red-700" role="alert" data-testid="audit-filter-error">
              This filter cannot be used: {parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}. Correct it and search again.
            </p>
          )}
        </section>
        <section className="overflow-x-auto rounded-2xl border border-slate-200 bg-white">
          <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-5 py-3">
            <h2 className="font-semibold">
              {filtered ? "Rows matching the filter" : "All rows"}, newest first{before ? `, older than row ${before}` : ""}
            </h2>
            <div className="flex gap-4 text-sm">
              <a href={hrefWith("/api/admin/audit", filterParams)} download data-testid="audit-export" className="text-brand-700 underline">
                Export as CSV
              </a>
              <a href={hrefWith("/api/admin/audit", { ...filterParams, format: "jsonl" })} download data-testid="audit-export-jsonl" className="text-brand-700 underline">
                Export as JSON lines (checkable)
              </a>
            </div>
          </div>
          {page.rows.length ? (
            <AuditTable rows={page.rows} consultHref={(id) => hrefWith("/admin/audit", { ...filterParams, consult: id })} />
          ) : (
            <p className="px-5 py-6 text-sm text-slate-600" data-testid="audit-empty">
              No audit rows match this filter.
            </p>
          )}
          <OlderPageLink path="/admin/audit" params={filterParams} before={page.nextBefore} label="Older rows" testId="audit-older" />
        </section>
      </main>
    </>
  );
}
