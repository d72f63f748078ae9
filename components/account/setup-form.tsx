"use client";

import { useRouter } from "next/navigation";
import { completeSetup } from "@/lib/client/account";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { useSubmit } from "../ui/use-submit";
import { PasswordField } from "./password-field";

/** First run: the clinic's first admin account, from a one-time setup link. */
export function SetupForm({ token }: { token: string }) {
  const router = useRouter();
  const { busy, error, onSubmit } = useSubmit(async (field) => {
    const r = await completeSetup({ token, name: field("name"), email: field("email"), password: field("password") });
    if (!r.ok) return r.message;
    router.replace("/admin");
    router.refresh();
    return undefined;
  });

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <label className="block">
        <span className="mb-1 block text-sm font-medium">Your name</span>
        <input name="name" autoComplete="name" required maxLength={80} className="w-full rounded-xl border border-slate-300 px-3 py-2.5" />
      </label>
      <label className="block">
        <span className="mb-1 block text-sm font-medium">Email</span>
        <input name="email" type="email" autoComplete="username" required className="w-full rounded-xl border border-slate-300 px-3 py-2.5" />
      </label>
      <PasswordField />
      {error && <Alert>{error}</Alert>}
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Creating your account…" : "Create the admin account"}
      </Button>
    </form>
  );
}
