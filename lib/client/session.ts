// Sign-in calls over next-auth's client: staff with email and password, patients with an invite.
import { signIn, signOut } from "next-auth/react";
import { api, ClientApiError } from "./api";

export type SignInResult = { ok: true } | { ok: false; code: string };

export async function signInStaff(email: string, password: string): Promise<SignInResult> {
  try {
    const r = await signIn("staff", { email, password, redirect: false });
    return r && !r.error ? { ok: true } : { ok: false, code: r?.code ?? "credentials" };
  } catch {
    return { ok: false, code: "network" };
  }
}

/** Redeems an invite. The name goes only sealed (PROTOCOL §6), or not at all. */
export async function joinWithInvite(token: string, sealedName: string | undefined): Promise<SignInResult> {
  try {
    const r = await signIn("invite", { token, ...(sealedName ? { sealedName } : {}), redirect: false });
    return r && !r.error ? { ok: true } : { ok: false, code: r?.code ?? "unknown" };
  } catch {
    return { ok: false, code: "network" };
  }
}

/** Ends this session on the server and clears the cookie. */
export async function signOutHere(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

/** Ends every session of this staff member on the server (other browsers are out at once), then this one's cookie. */
export async function signOutEverywhere(): Promise<void> {
  try {
    await api.post("/api/account/sign-out-everywhere");
  } catch (err) {
    // already signed out on the server: clearing the cookie is all that is left
    if (!(err instanceof ClientApiError && err.status === 401)) throw err;
  }
  await signOut({ redirectTo: "/sign-in" });
}

/** Tells the server someone is using the page (idle logoff); false when the session is already over. */
export async function reportActivity(): Promise<boolean> {
  try {
    await api.post("/api/session/activity");
    return true;
  } catch (err) {
    if (err instanceof ClientApiError && err.status === 401) return false;
    throw err;
  }
}
