import "server-only";
// The caller of an account route: signed in fully, or (`enrolling`) made to add a second factor
// first; with the relying party of this origin for passkeys.
import { headers } from "next/headers";
import { requireSession, type SessionUser } from "../authz";
import { ApiError } from "../errors";
import { publicOrigin } from "../origin";
import { relyingParty, type RelyingParty } from "./passkeys";

export async function requireStaffSession(opts: { enrolling?: boolean } = {}): Promise<SessionUser> {
  const me = opts.enrolling ? await requireSession("full", "enrol") : await requireSession("full");
  if (me.role === "patient") throw new ApiError("forbidden", "Only clinic staff have second factors");
  return me;
}

export async function thisRelyingParty(): Promise<RelyingParty> {
  return relyingParty(publicOrigin(await headers()));
}
