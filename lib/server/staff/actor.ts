import "server-only";
// The signed-in admin as the actor of a staff change, with where the request came from.
import { requireRole } from "../authz";
import { requestIp } from "../net/request-ip";
import type { StaffActor } from "./accounts";

export async function requireAdminActor(req: Request): Promise<StaffActor> {
  const admin = await requireRole("admin");
  return { userId: admin.id, ip: requestIp(req), via: "admin" };
}
