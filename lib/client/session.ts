// Sign-in calls over next-auth's client: staff with email and password, patients with an invite.
import { signIn, signOut } from "next-auth/react";

export type SignInResult = { ok: true } | { ok: false; code: string };

export async function signInStaff(email: string, password: string): Promise<SignInResult> {
  try {
    const r = await signIn("staff", { email, password, redirect: false });
    return r && !r.error ? { ok: true } : { ok: false, code: r?.code ?? "credentials" };
  } catch {
    return { ok: false, code: "network" };
  }
}

export async function joinWithInvite(token: string, name: string): Promise<SignInResult> {
  try {
    const r = await signIn("invite", { token, name, redirect: false });
    return r && !r.error ? { ok: true } : { ok: false, code: r?.code ?? "unknown" };
  } catch {
    return { ok: false, code: "network" };
  }
}

export async function signOutEverywhere(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}
