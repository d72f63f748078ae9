import type { Metadata } from "next";
import Link from "next/link";
import { pageUser } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings } from "@/lib/server/env";
import { listDoctorConsults } from "@/lib/server/consults";
import { AppHeader } from "@/components/app-header";
import { NewConsultButton } from "@/components/new-consult-button";
import { PatientName } from "@/components/patient-name";
import { RecordOnDevice } from "@/components/record-on-device";

export const metadata: Metadata = { title: "Consults" };

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

type Row = Awaited<ReturnType<typeof listDoctorConsults>>["past"][number];

function ConsultList({ userId, title, rows, empty }: { userId: string; title: string; rows: Row[]; empty: string }) {
  return (
    <section className="rounded-2xl border border-slate-200 bg-white">
      <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">{title}</h2>
      {rows.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500">{empty}</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid={`consults-${title.toLowerCase()}`}>
          {rows.map((c) => (
            <li key={c.id}>
              <Link href={`/consults/${c.id}`} className="flex items-center justify-between gap-4 px-5 py-3 hover:bg-slate-50">
                <span>
                  <span className="font-medium">
                    {c.patients.length === 0
                      ? "No patient yet"
                      : c.patients.map((p, i) => (
                          <span key={i}>
                            {i > 0 && ", "}
                            <PatientName userId={userId} consultId={c.id} patient={p} />
                          </span>
                        ))}
                  </span>
                  <span className="block text-xs text-slate-500">{fmt.format(c.scheduledAt)} UTC</span>
                  {c.status === "ended" && <RecordOnDevice userId={userId} consultId={c.id} />}
                </span>
                <span className="rounded-full bg-slate-100 px-2.5 py-0.5 text-xs text-slate-700">{c.status}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default async function DashboardPage() {
  const user = await pageUser("doctor");
  const { upcoming, past } = await listDoctorConsults(await getDb(), user.id);
  return (
    <>
      <AppHeader name={user.name} home="/dashboard" idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">
        <div className="flex flex-wrap items-center justify-between gap-4">
          <div>
            <h1 className="text-2xl font-semibold">Consults</h1>
            <p className="text-sm text-slate-600">Start a consult, send the invite link, admit your patient.</p>
          </div>
          <NewConsultButton />
        </div>
        <ConsultList userId={user.id} title="Upcoming" rows={upcoming} empty="No open or scheduled consults." />
        <ConsultList userId={user.id} title="Past" rows={past} empty="No past consults yet." />
      </main>
    </>
  );
}
