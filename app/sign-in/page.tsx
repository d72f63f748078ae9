import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "@/lib/server/authz";
import { homeOf } from "@/lib/server/pages";
import { SignInForm } from "@/components/sign-in-form";
import { PasskeySignInButton } from "@/components/passkey-sign-in-button";
import { Brand } from "@/components/ui/brand";
import { Alert } from "@/components/ui/alert";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string; reason?: string }> }) {
  const user = await currentUser();
  if (user && user.role !== "patient") redirect(homeOf(user));
  const { next, reason } = await searchParams;
  const safeNext = next && /^\/[a-z0-9/_-]*$/i.test(next) && !next.startsWith("//") ? next : undefined;
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center px-4 py-12">
      <Brand className="mb-8 justify-center" />
      <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="mb-1 text-xl font-semibold">Sign in</h1>
        <p className="mb-6 text-sm text-slate-600">For clinic staff. Patients join from the link their clinic sent them.</p>
        {reason === "idle" && (
          <div className="mb-4">
            <Alert tone="info" testId="signed-out-idle">
              You were signed out after a while without activity, to protect patients&apos; privacy. Sign in again to go on.
            </Alert>
          </div>
        )}
        <PasskeySignInButton next={safeNext} />
        <p className="my-4 text-center text-xs uppercase tracking-wide text-slate-400">or with your password</p>
        <SignInForm next={safeNext} />
      </div>
    </main>
  );
}
