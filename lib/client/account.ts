// The browser's side of first run and one-time password links: redeem the link, then sign in
// with the password just chosen.
import { api, ClientApiError } from "./api";
import { signInStaff } from "./session";
import { accountAnswer, type StaffRole } from "@/lib/shared/staff";

export type AccountResult = { ok: true; role: StaffRole } | { ok: false; message: string };

async function thenSignIn(redeem: () => Promise<{ email: string; role: StaffRole }>, password: string): Promise<AccountResult> {
  let account: { email: string; role: StaffRole };
  try {
    account = await redeem();
  } catch (err) {
    return { ok: false, message: err instanceof ClientApiError ? err.message : "Something went wrong. Try again." };
  }
  const signedIn = await signInStaff(account.email, password);
  if (!signedIn.ok) return { ok: false, message: "Your password is set, but signing in failed. Go to the sign-in page and sign in with it." };
  return { ok: true, role: account.role };
}

export function completeSetup(input: { token: string; name: string; email: string; password: string }): Promise<AccountResult> {
  return thenSignIn(() => api.post("/api/setup", input, accountAnswer), input.password);
}

export function setPasswordFromLink(input: { token: string; password: string }): Promise<AccountResult> {
  return thenSignIn(() => api.post("/api/account/password", input, accountAnswer), input.password);
}
