import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "@/lib/server/authz";
import { homeOf } from "@/lib/server/pages";
import { CardPage } from "@/components/account/card-page";
import { SecondFactorForm } from "@/components/account/second-factor-form";
import { SignOutButton } from "@/components/sign-out-button";

export const metadata: Metadata = { title: "Second factor" };

export default async function SecondFactorPage() {
  const user = await currentUser();
  if (!user || user.role === "patient") redirect("/sign-in");
  if (user.stage !== "second_factor") redirect(homeOf(user));
  return (
    <CardPage title="One more step" intro="Enter the code from your authenticator app, or use your passkey.">
      <SecondFactorForm />
      <div className="mt-4 text-center">
        <SignOutButton />
      </div>
    </CardPage>
  );
}
