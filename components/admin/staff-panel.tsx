"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { adminApi } from "@/lib/client/admin";
import { ClientApiError } from "@/lib/client/api";
import { copyText } from "@/lib/client/clipboard";
import type { LinkView, StaffRole, StaffView } from "@/lib/shared/staff";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

const STATE_TEXT: Record<StaffView["state"], string> = { pending: "invited (no password yet)", active: "active", disabled: "disabled" };

type Shown = { email: string; link: LinkView; mailed: boolean; reset: boolean };

/** Staff accounts: add, disable and enable, reset, change role. The server re-renders the list after each change. */
export function StaffPanel({ staff, me }: { staff: StaffView[]; me: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState<Shown>();
  const [notice, setNotice] = useState<string>();

  async function act<T>(fn: () => Promise<T>, after?: (v: T) => void): Promise<boolean> {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const v = await fn();
      after?.(v);
      router.refresh();
      return true;
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "Something went wrong. Try again.");
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function onCreate(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const field = (n: string) => {
      const v = form.get(n);
      return typeof v === "string" ? v : "";
    };
    const ok = await act(
      () => adminApi.create({ name: field("name"), email: field("email"), role: field("role") === "admin" ? "admin" : "doctor" }),
      (r) => setShown({ email: r.staff.email, link: r.link, mailed: r.mailed, reset: false }),
    );
    if (ok) formEl.reset();
  }

  // No confirm dialog: a reset is undone by the link it shows, and the row's title says what it does.
  const reset = (s: StaffView) => {
    void act(
      () => adminApi.reset(s.id),
      (r) => setShown({ email: r.staff.email, link: r.link, mailed: r.mailed, reset: true }),
    );
  };
  const setRole = (s: StaffView, role: StaffRole) => void act(() => adminApi.role(s.id, role));

  return (
    <div className="space-y-4 px-5 py-4">
      <form onSubmit={onCreate} className="grid gap-3 sm:grid-cols-[1fr_1fr_auto_auto] sm:items-end" noValidate>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Name</span>
          <input data-testid="staff-name" name="name" required maxLength={80} className="w-full rounded-xl border border-slate-300 px-3 py-2" />
        </label>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Email</span>
          <input data-testid="staff-email" name="email" type="email" required className="w-full rounded-xl border border-slate-300 px-3 py-2" />
        </label>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Role</span>
          <select data-testid="staff-role" name="role" defaultValue="doctor" className="rounded-xl border border-slate-300 px-3 py-2">
            <option value="doctor">doctor</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <Button data-testid="staff-create" type="submit" disabled={busy}>
          Add
        </Button>
      </form>
      {error && <Alert>{error}</Alert>}
      {notice && <Alert tone="info">{notice}</Alert>}
      {shown && (
        <Alert tone="info">
          <p className="mb-2">
            {shown.reset ? "Reset" : "Added"} {shown.email}. Give them this one-time link to set a password (it works once, until {new Date(shown.link.expiresAt).toLocaleString()})
            {shown.mailed ? "; it was also mailed to them" : ""}:
          </p>
          <div className="flex gap-2">
            <input
              data-testid="staff-link"
              readOnly
              value={shown.link.url}
              className="w-full rounded-lg border border-slate-300 bg-white px-2 py-1 font-mono text-xs"
              onFocus={(e) => e.currentTarget.select()}
            />
            <Button variant="secondary" onClick={() => void copyText(shown.link.url)}>
              Copy
            </Button>
          </div>
        </Alert>
      )}
      <table className="w-full text-left text-sm" data-testid="staff-table">
        <thead className="text-slate-500">
          <tr>
            <th className="py-2 pr-4 font-medium">Name</th>
            <th className="py-2 pr-4 font-medium">Email</th>
            <th className="py-2 pr-4 font-medium">Role</th>
            <th className="py-2 pr-4 font-medium">Status</th>
            <th className="py-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {staff.map((s) => (
            <tr key={s.id} data-testid="staff-row" data-state={s.state}>
              <td className="py-2 pr-4">{s.name}</td>
              <td className="py-2 pr-4">{s.email}</td>
              <td className="py-2 pr-4">{s.role}</td>
              <td className="py-2 pr-4">{STATE_TEXT[s.state]}</td>
              <td className="flex flex-wrap gap-2 py-2">
                {s.state === "disabled" ? (
                  <Button data-testid="staff-enable" variant="secondary" disabled={busy} onClick={() => void act(() => adminApi.enable(s.id))}>
                    Enable
                  </Button>
                ) : (
                  <Button data-testid="staff-disable" variant="secondary" disabled={busy || s.id === me} onClick={() => void act(() => adminApi.disable(s.id))}>
                    Disable
                  </Button>
                )}
                <Button
                  data-testid="staff-reset"
                  variant="secondary"
                  disabled={busy}
                  onClick={() => reset(s)}
                  title="Their password and every session stop working; you get a new one-time link for them"
                >
                  Reset
                </Button>
                <Button
                  data-testid="staff-sign-out"
                  variant="secondary"
                  disabled={busy || s.state !== "active"}
                  onClick={() =>
                    void act(
                      () => adminApi.signOut(s.id),
                      (r) => setNotice(`Ended ${r.ended} session(s) of ${s.email}.`),
                    )
                  }
                >
                  Sign out everywhere
                </Button>
                <Button variant="secondary" disabled={busy || s.id === me} onClick={() => setRole(s, s.role === "admin" ? "doctor" : "admin")}>
                  {s.role === "admin" ? "Make doctor" : "Make admin"}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
