"use client";

import { signOutEverywhere } from "@/lib/client/session";
import { Button } from "./ui/button";

export function SignOutButton() {
  return (
    <Button variant="secondary" onClick={() => void signOutEverywhere()}>
      Sign out
    </Button>
  );
}
