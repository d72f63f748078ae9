import "server-only";
// What a clinic admin reads: staff accounts and the audit trail (never consult content).
import type { Db } from "./db";

export async function adminOverview(db: Db) {
  const [staff, events] = await Promise.all([
    db.user.findMany({
      where: { role: { in: ["doctor", "admin"] } },
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true, email: true, role: true, disabledAt: true, createdAt: true },
    }),
    db.auditEvent.findMany({
      orderBy: { id: "desc" },
      take: 200,
      select: { id: true, at: true, action: true, consultId: true, ip: true, actor: { select: { name: true, role: true } } },
    }),
  ]);
  return { staff, events: events.map((e) => ({ ...e, id: e.id.toString() })) };
}
