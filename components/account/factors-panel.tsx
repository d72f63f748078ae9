"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { addPasskey, confirmTotp, removePasskey, removeTotp, startTotp } from "@/lib/client/factors";
import { ClientApiError } from "@/lib/client/api";
import type { FactorsView } from "@/lib/shared/factors";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium" });

type TotpSetup = { uri: string; secret: string; qrDataUrl: string };

/**
 * Passkeys and the authenticator app. `enrolling`: the clinic requires a factor and this person
 * has none yet; once one is added they go on to their home page.
 */
export function FactorsPanel({ factors, enrolling = false }: { factors: FactorsView; enrolling?: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [setup, setSetup] = useState<TotpSetup>();
  const [codes, setCodes] = useState<string[]>();

  const done = () => (enrolling ? router.replace("/") : router.refresh());

  async function run(fn: () => Promise<{ ok: true } | { ok: false; message: string }>, after?: () => void) {
    setBusy(true);
    setError(undefined);
    const r = await fn();
    setBusy(false);
    if (!r.ok) setError(r.message);
    else after?.();
  }

  async function beginTotp() {
    setBusy(true);
    setError(undefined);
    try {
      setSetup(await startTotp());
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "Something went wrong. Try again.");
    } finally {
      setBusy(false);
    }
  }

  async function onConfirm(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = new FormData(e.currentTarget).get("code");
    setBusy(true);
    setError(undefined);
    const r = await confirmTotp(typeof code === "string" ? code : "");
    setBusy(false);
    if (!r.ok) return setError(r.message);
    setSetup(undefined);
    setCodes(r.recoveryCodes);
  }

  if (codes) {
    return (
      <div className="space-y-3 px-5 py-4">
        <Alert tone="warning">
          Your authenticator app is set up. Keep these recovery codes somewhere safe, apart from your phone: each one signs you in once if you lose it. They are not shown again.
        </Alert>
        <ul data-testid="recovery-codes" className="grid grid-cols-2 gap-2 font-mono text-sm">
          {codes.map((c) => (
            <li key={c} data-testid="recovery-code" className="rounded-lg bg-slate-100 px-3 py-1.5">
              {c}
            </li>
          ))}
        </ul>
        <Button data-testid="recovery-codes-done" onClick={done}>
          I have saved them
        </Button>
      </div>
    );
  }

  return (
    <div className="space-y-4 px-5 py-4 text-sm">
      {error && <Alert>{error}</Alert>}
      <div className="space-y-2">
        <h3 className="font-medium">Passkeys</h3>
        <p className="text-slate-600">Sign in with your fingerprint, face or device PIN instead of a password. Nothing to type, nothing to steal.</p>
        <ul className="divide-y divide-slate-100" data-testid="passkey-list">
          {factors.passkeys.map((p) => (
            <li key={p.id} data-testid="passkey-row" className="flex items-center justify-between gap-3 py-2">
              <span>
                {p.name}
                <span className="block text-xs text-slate-500">
                  added {fmt.format(new Date(p.createdAt))}
                  {p.lastUsedAt ? `, last used ${fmt.format(new Date(p.lastUsedAt))}` : ""}
                  {p.synced ? " · synced" : ""}
                </span>
              </span>
              {!enrolling && (
                <Button variant="secondary" disabled={busy} onClick={() => void run(() => removePasskey(p.id), done)}>
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
        <Button data-testid="passkey-add" disabled={busy} onClick={() => void run(addPasskey, done)}>
          Add a passkey
        </Button>
      </div>
      <div className="space-y-2 border-t border-slate-100 pt-4">
        <h3 className="font-medium">Authenticator app</h3>
        {factors.totp ? (
          <div className="flex items-center justify-between gap-3">
            <span>
              Set up, with {factors.recoveryCodesLeft} recovery code{factors.recoveryCodesLeft === 1 ? "" : "s"} left.
            </span>
            {!enrolling && (
              <Button variant="secondary" disabled={busy} onClick={() => void run(removeTotp, done)}>
                Remove
              </Button>
            )}
          </div>
        ) : setup ? (
          <form onSubmit={onConfirm} className="space-y-3" noValidate>
            <p className="text-slate-600">Scan this code with your authenticator app (or type the key), then enter the 6 digits it shows.</p>
            {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL made on the server */}
            <img src={setup.qrDataUrl} alt="QR code for your authenticator app" width={220} height={220} className="rounded-lg border border-slate-200" />
            <p className="break-all font-mono text-xs" data-testid="totp-secret">
              {setup.secret}
            </p>
            <label className="block">
              <span className="mb-1 block font-medium">Code from the app</span>
              <input name="code" inputMode="numeric" autoComplete="one-time-code" data-testid="totp-code" className="w-40 rounded-xl border border-slate-300 px-3 py-2 font-mono" />
            </label>
            <Button type="submit" data-testid="totp-confirm" disabled={busy}>
              Confirm
            </Button>
          </form>
        ) : (
          <>
            <p className="text-slate-600">A 6-digit code from an app such as Google Authenticator, Microsoft Authenticator or 1Password, with one-time recovery codes.</p>
            <Button data-testid="totp-add" variant="secondary" disabled={busy} onClick={() => void beginTotp()}>
              Set up an authenticator app
            </Button>
          </>
        )}
      </div>
    </div>
  );
}
