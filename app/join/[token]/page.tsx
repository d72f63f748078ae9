import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { tokenParams } from "@/lib/shared/api";
import { getDb } from "@/lib/server/db";
import { INVITE_STATUS_TEXT, lookupInvite } from "@/lib/server/invites";
import { currentUser, loadConsultAccess } from "@/lib/server/authz";
import { JoinForm } from "@/components/join/join-form";
import { currentRecordsKey } from "@/lib/server/records-key";
import { Brand } from "@/components/ui/brand";
import { Alert } from "@/components/ui/alert";

export const metadata: Metadata = { title: "Join your consult", robots: { index: false } };

export default async function JoinPage({ params }: { params: Promise<{ token: string }> }) {
  const parsed = tokenParams.safeParse(await params);
  const db = await getDb();
  const { status, invite } = parsed.success ? await lookupInvite(db, parsed.data.token) : { status: "unknown" as const, invite: null };

  // Reopening the link in the browser that used it goes straight back to the consult.
  if (invite && (status === "used" || status === "valid")) {
    const user = await currentUser();
    if (user && (await loadConsultAccess(db, user.id, invite.consultId))) redirect(`/consults/${invite.consultId}`);
  }

  return (
    <main className="mx-auto max-w-4xl px-4 py-8">
      <Brand className="mb-6" />
      {status === "valid" && invite && parsed.success ? (
        <JoinForm token={parsed.data.token} consultId={invite.consultId} inviteId={invite.id} doctorName={invite.consult.doctor.name} clinicKeepsRecord={!!(await currentRecordsKey(db))} />
      ) : (
        <Alert testId="invite-problem">{INVITE_STATUS_TEXT[status === "valid" ? "unknown" : status]}</Alert>
      )}
    </main>
  );
}
