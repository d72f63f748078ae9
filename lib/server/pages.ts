import "server-only";
// Authorization for pages: the same checks as route handlers, answered with a redirect to
// sign-in or a 404 page instead of JSON.
import { notFound, redirect } from "next/navigation";
import { currentUser, requireConsultAccess, type ConsultAccess, type SessionUser } from "./authz";
import { ApiError } from "./errors";

export function homeOf(user: SessionUser): string {
  if (user.stage === "second_factor") return "/sign-in/second-factor";
  if (user.stage === "enrol") return "/account/second-factor";
  return user.role === "admin" ? "/admin" : "/dashboard";
}

/** A page for a fully signed-in user of one of `roles`; half signed in goes on to the next step. */
export async function pageUser(...roles: SessionUser["role"][]): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  if (user.stage && user.stage !== "full") redirect(homeOf(user));
  if (!roles.includes(user.role)) {
    if (user.role === "patient") notFound();
    redirect(homeOf(user));
  }
  return user;
}

export async function pageConsultAccess(consultId: string): Promise<ConsultAccess> {
  try {
    return await requireConsultAccess(consultId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) redirect(`/sign-in?next=/consults/${consultId}`);
    if (err instanceof ApiError) notFound();
    throw err;
  }
}
