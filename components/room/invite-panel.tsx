"use client";

import { useState } from "react";
import { copyText } from "@/lib/client/clipboard";
import { Button } from "../ui/button";

export function InvitePanel({ url, expiresAt, onNewLink, busy }: { url: string; expiresAt: string; onNewLink: () => void; busy: boolean }) {
  const [copied, setCopied] = useState<boolean>();
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5">
      <h2 className="font-semibold">Invite your patient</h2>
      <p className="mb-3 text-sm text-slate-600">
        Send this link to your patient (it works once, until {new Date(expiresAt).toLocaleString()}). They need no account.
      </p>
      <div className="flex flex-col gap-2 sm:flex-row">
        <input
          data-testid="invite-link"
          readOnly
          value={url}
          aria-label="Invite link"
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-xl border border-slate-300 bg-slate-50 px-3 py-2.5 font-mono text-xs"
        />
        <Button data-testid="copy-invite" onClick={async () => setCopied(await copyText(url))}>
          {copied === true ? "Copied" : "Copy link"}
        </Button>
        <Button variant="secondary" onClick={onNewLink} disabled={busy} title="The current link stops working">
          New link
        </Button>
      </div>
      {copied === false && <p className="mt-2 text-sm text-amber-700">Copying was blocked by the browser: select the link and copy it by hand.</p>}
    </section>
  );
}
