import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "@/lib/server/authz";
import { homeOf } from "@/lib/server/pages";
import { getDb } from "@/lib/server/db";
import { factorsOf } from "@/lib/server/auth/factors";
import { CardPage } from "@/components/account/card-page";
import { FactorsPanel } from "@/components/account/factors-panel";
import { SignOutButton } from "@/components/sign-out-button";

export const metadata: Metadata = { title: "Add a second factor" };

/** STAFF_MFA=required and no factor yet: this is the only page such a session reaches. */
export default async function EnrolPage() {
  const user = await currentUser();
  if (!user || user.role === "patient") redirect("/sign-in");
  if (user.stage !== "enrol") redirect(user.stage === "full" ? "/account" : homeOf(user));
  return (
    <CardPage title="Add a second factor" intro="Your clinic requires a second factor for staff accounts. Add a passkey (recommended) or an authenticator app to go on.">
      <div className="-mx-5">
        <FactorsPanel factors={await factorsOf(await getDb(), user.id)} enrolling />
      </div>
      <div className="mt-4">
        <SignOutButton />
      </div>
    </CardPage>
  );
}
