"use client";

import { signOutHere } from "@/lib/client/session";
import { Button } from "./ui/button";

export function SignOutButton() {
  return (
    <Button variant="secondary" onClick={() => void signOutHere()}>
      Sign out
    </Button>
  );
}
