"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { signInStaff } from "@/lib/client/session";
import { Button } from "./ui/button";
import { Alert } from "./ui/alert";

const MESSAGES: Record<string, string> = {
  network: "Could not reach the server. Check your connection and try again.",
  credentials: "That email and password do not match an active staff account. Check them and try again.",
};

export function SignInForm({ next }: { next?: string | undefined }) {
  const router = useRouter();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === "string" ? v : "";
    };
    const r = await signInStaff(field("email"), field("password"));
    if (r.ok) {
      router.replace(next ?? "/");
      router.refresh();
    } else {
      setError(MESSAGES[r.code] ?? MESSAGES.credentials);
      setBusy(false);
    }
  }

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
