"use client";

import { useState } from "react";
import type { z } from "zod";
import type { inviteAnswer } from "@/lib/shared/api";
import { copyText } from "@/lib/client/clipboard";
import { Button } from "../ui/button";

type Invite = z.infer<typeof inviteAnswer>;

function explain(invite: Invite): string {
  switch (invite.state) {
    case "live":
      return `Send this link to your patient. It works once, until ${new Date(invite.expiresAt).toLocaleString()}; they need no account.`;
    case "used":
      return "Your patient joined with this link (it works only once). If someone else needs to join, or they switch devices, create a new link.";
    case "expired":
      return "This link has expired. Create a new link and send it to your patient.";
  }
}

/**
 * `fragment`: what follows "#" in the link (the key the patient's name is sealed to, PROTOCOL §6);
 * undefined while this device makes it, null when it cannot (the link then goes without).
 */
export function InvitePanel({ invite, fragment, onNewLink, busy }: { invite: Invite | null; fragment: string | null | undefined; onNewLink: () => void; busy: boolean }) {
  const [copied, setCopied] = useState<boolean>();
  const url = invite && fragment ? `${invite.url}#${fragment}` : invite?.url;
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5">
      <h2 className="font-semibold">Invite your patient</h2>
      {invite && fragment === undefined ? (
        <p className="mt-2 text-sm text-slate-600" data-testid="invite-preparing">
          Preparing a private link…
        </p>
      ) : invite ? (
        <>
          <p className="mb-3 text-sm text-slate-600" data-testid="invite-state" data-state={invite.state}>
            {explain(invite)}
          </p>
          <div className="flex flex-col gap-2 sm:flex-row">
            <input
              data-testid="invite-link"
              readOnly
              value={url}
              aria-label="Invite link"
              onFocus={(e) => e.currentTarget.select()}
              className={`min-w-0 flex-1 rounded-xl border border-slate-300 bg-slate-50 px-3 py-2.5 font-mono text-xs ${invite.state === "live" ? "" : "text-slate-400 line-through"}`}
            />
            {invite.state === "live" && (
              <Button data-testid="copy-invite" onClick={async () => setCopied(await copyText(url ?? invite.url))}>
                {copied === true ? "Copied" : "Copy link"}
              </Button>
            )}
            <Button variant={invite.state === "live" ? "secondary" : "primary"} onClick={onNewLink} disabled={busy} title="Any unused link stops working">
              New link
            </Button>
          </div>
          {copied === false && <p className="mt-2 text-sm text-amber-700">Copying was blocked by the browser: select the link and copy it by hand.</p>}
          {fragment === null && invite.state === "live" && (
            <p className="mt-2 text-sm text-amber-700">This browser cannot encrypt, so the patient&apos;s name cannot be sealed: they will appear as &quot;Patient&quot;.</p>
          )}
        </>
      ) : (
        <div className="mt-2 flex items-center justify-between gap-3">
          <p className="text-sm text-slate-600">There is no invite link for this consult.</p>
          <Button onClick={onNewLink} disabled={busy}>
            Create invite link
          </Button>
        </div>
      )}
    </section>
  );
}
