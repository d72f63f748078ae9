"use client";

import { useRouter } from "next/navigation";
import { setPasswordFromLink } from "@/lib/client/account";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { useSubmit } from "../ui/use-submit";
import { PasswordField } from "./password-field";

/** A staff member sets their password from a one-time link (a new account, or after a reset). */
export function PasswordLinkForm({ token, email }: { token: string; email: string }) {
  const router = useRouter();
  const { busy, error, onSubmit } = useSubmit(async (field) => {
    const r = await setPasswordFromLink({ token, password: field("password") });
    if (!r.ok) return r.message;
    router.replace(r.role === "admin" ? "/admin" : "/dashboard");
    router.refresh();
    return undefined;
  });

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {/* for password managers: the account this password belongs to */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <PasswordField label="New password" />
      {error && <Alert>{error}</Alert>}
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Saving…" : "Set password and sign in"}
      </Button>
    </form>
  );
}
