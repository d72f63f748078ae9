"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { signInWithPasskey } from "@/lib/client/factors";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";

/** Staff sign in with a passkey: no email, no password, nothing a stranger's guesses can slow down. */
export function PasskeySignInButton({ next }: { next?: string | undefined }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <div className="space-y-3">
      <Button
        data-testid="sign-in-passkey"
        className="w-full"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          void signInWithPasskey().then((r) => {
            if (r.ok) {
              router.replace(next ?? "/");
              router.refresh();
            } else {
              setError(r.message);
              setBusy(false);
            }
          });
        }}
      >
        {busy ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </Button>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
