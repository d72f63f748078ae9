import type { Metadata } from "next";
import { accountLinkParams } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { passwordLinkAccount } from "@/lib/server/staff/accounts";
import { CardPage } from "@/components/account/card-page";
import { PasswordLinkForm } from "@/components/account/password-link-form";
import { Alert } from "@/components/ui/alert";

export const metadata: Metadata = { title: "Set your password" };

export default async function PasswordLinkPage({ params }: { params: Promise<{ token: string }> }) {
  const parsed = accountLinkParams.safeParse(await params);
  const account = parsed.success ? await passwordLinkAccount(await getDb(), parsed.data.token) : undefined;
  if (!parsed.success || !account || account.status !== "valid") {
    return (
      <CardPage title="Set your password">
        <Alert>{account && account.status !== "valid" ? account.message : "This link is not valid. Check that you copied all of it, or ask your clinic admin for a new one."}</Alert>
      </CardPage>
    );
  }
  return (
    <CardPage
      title="Set your password"
      intro={
        <>
          For {account.name}, <span className="font-medium">{account.email}</span>.
        </>
      }
    >
      <PasswordLinkForm token={parsed.data.token} email={account.email} />
    </CardPage>
  );
}
