"use client";

import { useState } from "react";
import { signOutEverywhere } from "@/lib/client/session";
import type { SessionView } from "@/lib/shared/staff";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

/** The staff member's live sessions, and "sign out everywhere" (this browser included). */
export function SessionsPanel({ sessions }: { sessions: SessionView[] }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <div className="space-y-4 px-5 py-4">
      <ul className="divide-y divide-slate-100 text-sm" data-testid="session-list">
        {sessions.map((s) => (
          <li key={s.id} className="py-2" data-testid="session-row">
            <span className="font-medium">{s.current ? "This browser" : (s.userAgent ?? "A browser")}</span>
            <span className="block text-xs text-slate-500">
              signed in {fmt.format(new Date(s.createdAt))} with {s.method.replace("_", " ")}
              {s.ip ? ` from ${s.ip}` : ""}; last active {fmt.format(new Date(s.lastActiveAt))}
            </span>
          </li>
        ))}
      </ul>
      {error && <Alert>{error}</Alert>}
      <Button
        data-testid="sign-out-everywhere"
        variant="secondary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void signOutEverywhere().catch(() => {
            setError("Could not reach the server. Check your connection and try again.");
            setBusy(false);
          });
        }}
      >
        Sign out everywhere
      </Button>
    </div>
  );
}
