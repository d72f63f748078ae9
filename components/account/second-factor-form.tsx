"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { signInWithPasskey, submitSecondFactor } from "@/lib/client/factors";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { useSubmit } from "../ui/use-submit";

/** The second step of a password sign-in: a code from the app, a recovery code, or a passkey. */
export function SecondFactorForm() {
  const router = useRouter();
  const [recovery, setRecovery] = useState(false);
  const [passkeyError, setPasskeyError] = useState<string>();
  const home = () => {
    router.replace("/");
    router.refresh();
  };
  const { busy, error, onSubmit } = useSubmit(async (field) => {
    const r = await submitSecondFactor(recovery ? { recoveryCode: field("recoveryCode") } : { code: field("code") });
    if (!r.ok) return r.message;
    home();
    return undefined;
  });

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {recovery ? (
          <label className="block">
            <span className="mb-1 block text-sm font-medium">Recovery code</span>
            <input name="recoveryCode" autoComplete="off" required className="w-full rounded-xl border border-slate-300 px-3 py-2.5 font-mono uppercase" />
          </label>
        ) : (
          <label className="block">
            <span className="mb-1 block text-sm font-medium">Code from your authenticator app</span>
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required className="w-full rounded-xl border border-slate-300 px-3 py-2.5 font-mono" />
          </label>
        )}
        {error && <Alert>{error}</Alert>}
        <Button type="submit" disabled={busy} className="w-full">
          {busy ? "Checking…" : "Continue"}
        </Button>
      </form>
      <button type="button" className="text-sm text-brand-700 underline" onClick={() => setRecovery((r) => !r)} data-testid="use-recovery-code">
        {recovery ? "Use a code from the app instead" : "Lost your phone? Use a recovery code"}
      </button>
      <div className="border-t border-slate-100 pt-4">
        {passkeyError && <Alert>{passkeyError}</Alert>}
        <Button
          variant="secondary"
          className="w-full"
          data-testid="sign-in-passkey"
          onClick={() =>
            void signInWithPasskey().then((r) => {
              if (r.ok) home();
              else setPasskeyError(r.message);
            })
          }
        >
          Use your passkey
        </Button>
      </div>
    </div>
  );
}
