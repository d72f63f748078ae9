"use client";

import { useRouter } from "next/navigation";
import { signInStaff } from "@/lib/client/session";
import { Button } from "./ui/button";
import { Alert } from "./ui/alert";
import { useSubmit } from "./ui/use-submit";

const MESSAGES: Record<string, string> = {
  network: "Could not reach the server. Check your connection and try again.",
  credentials: "That email and password do not match an active staff account. Check them and try again.",
  throttled: "Too many failed attempts for this account or network: wait a minute before trying your password again. A passkey works at once.",
};

export function SignInForm({ next }: { next?: string | undefined }) {
  const router = useRouter();
  const { busy, error, onSubmit } = useSubmit(async (field) => {
    const r = await signInStaff(field("email"), field("password"));
    if (!r.ok) return MESSAGES[r.code] ?? MESSAGES.credentials;
    router.replace(next ?? "/");
    router.refresh();
    return undefined;
  });

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <label className="block">
        <span className="mb-1 block text-sm font-medium">Email</span>
        <input name="email" type="email" autoComplete="username" required className="w-full rounded-xl border border-slate-300 px-3 py-2.5" />
      </label>
      <label className="block">
        <span className="mb-1 block text-sm font-medium">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className="w-full rounded-xl border border-slate-300 px-3 py-2.5" />
      </label>
      {error && <Alert>{error}</Alert>}
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
