import type { Metadata } from "next";
import { pageUser, homeOf } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings } from "@/lib/server/env";
import { liveSessions } from "@/lib/server/auth/sessions";
import { AppHeader } from "@/components/app-header";
import { SessionsPanel } from "@/components/account/sessions-panel";
import { FactorsPanel } from "@/components/account/factors-panel";
import { KeyBackupPanel } from "@/components/account/key-backup-panel";
import { DevicesPanel } from "@/components/account/devices-panel";
import { factorsOf } from "@/lib/server/auth/factors";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const user = await pageUser("doctor", "admin");
  const db = await getDb();
  const [sessions, factors, open] = await Promise.all([
    liveSessions(db, user.id, user.sessionId),
    factorsOf(db, user.id),
    // the consults whose keys change when a device is removed
    db.consult.findMany({ where: { doctorId: user.id, status: { in: ["scheduled", "open"] } }, select: { id: true } }),
  ]);
  return (
    <>
      <AppHeader name={user.name} home={homeOf(user)} idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-3xl space-y-6 px-4 py-8">
        <div>
          <h1 className="text-2xl font-semibold">Your account</h1>
          <p className="text-sm text-slate-600">
            {user.name}, {user.email} ({user.role})
          </p>
        </div>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Second factors</h2>
          <FactorsPanel factors={factors} />
        </section>
        {user.role === "doctor" && (
          <section className="rounded-2xl border border-slate-200 bg-white" id="devices">
            <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Your devices</h2>
            <DevicesPanel userId={user.id} openConsultIds={open.map((c) => c.id)} />
          </section>
        )}
        {user.role === "doctor" && (
          <section className="rounded-2xl border border-slate-200 bg-white">
            <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Key backup</h2>
            <KeyBackupPanel userId={user.id} />
          </section>
        )}
        <section className="rounded-2xl border border-slate-200 bg-white">
          <h2 className="border-b border-slate-200 px-5 py-3 font-semibold">Where you are signed in</h2>
          <SessionsPanel sessions={sessions} />
        </section>
      </main>
    </>
  );
}
