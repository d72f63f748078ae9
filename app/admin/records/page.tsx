import type { Metadata } from "next";
import { pageUser } from "@/lib/server/pages";
import { clientSettings } from "@/lib/server/env";
import { AppHeader } from "@/components/app-header";
import { RecordsReader } from "@/components/admin/records-reader";

export const metadata: Metadata = { title: "Consult records" };

/** An admin with the records key sheet reads consult records, read only (PROTOCOL §7.4). */
export default async function RecordsPage() {
  const user = await pageUser("admin");
  return (
    <>
      <AppHeader name={user.name} home="/admin" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">
        <h1 className="text-2xl font-semibold">Consult records</h1>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <RecordsReader />
        </section>
      </main>
    </>
  );
}
