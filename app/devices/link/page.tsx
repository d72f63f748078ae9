import type { Metadata } from "next";
import { pageUser, homeOf } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { clientSettings } from "@/lib/server/env";
import { AppHeader } from "@/components/app-header";
import { ScannedLink } from "@/components/account/scanned-link";

export const metadata: Metadata = { title: "Link this device" };

/** Where a scanned QR code lands (PROTOCOL §7.2): the code and the other device's anchor are in the fragment. */
export default async function LinkDevicePage() {
  const user = await pageUser("doctor");
  const db = await getDb();
  const open = await db.consult.findMany({ where: { doctorId: user.id, status: { in: ["scheduled", "open"] } }, select: { id: true } });
  return (
    <>
      <AppHeader name={user.name} home={homeOf(user)} idleMs={clientSettings().idleTimeoutMs} />
      <main className="mx-auto max-w-3xl space-y-6 px-4 py-8">
        <h1 className="text-2xl font-semibold">Link this device</h1>
        <section className="rounded-2xl border border-slate-200 bg-white">
          <ScannedLink userId={user.id} openConsultIds={open.map((c) => c.id)} />
        </section>
      </main>
    </>
  );
}
