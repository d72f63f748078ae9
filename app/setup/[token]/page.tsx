import type { Metadata } from "next";
import { accountLinkParams } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { findLink, LINK_STATUS_TEXT } from "@/lib/server/staff/links";
import { CardPage } from "@/components/account/card-page";
import { SetupForm } from "@/components/account/setup-form";
import { Alert } from "@/components/ui/alert";

export const metadata: Metadata = { title: "Set up Parley" };

export default async function SetupPage({ params }: { params: Promise<{ token: string }> }) {
  const parsed = accountLinkParams.safeParse(await params);
  const status = parsed.success ? (await findLink(await getDb(), "setup", parsed.data.token)).status : "unknown";
  if (!parsed.success || status !== "valid") {
    return (
      <CardPage title="Set up Parley">
        <Alert>
          {status === "valid" ? LINK_STATUS_TEXT.unknown : LINK_STATUS_TEXT[status]} Whoever runs the server can make a new one with <code>npm run admin -- setup-link</code>.
        </Alert>
      </CardPage>
    );
  }
  return (
    <CardPage title="Set up Parley" intro="Create the clinic's admin account. You then add your doctors from the admin page.">
      <SetupForm token={parsed.data.token} />
    </CardPage>
  );
}
