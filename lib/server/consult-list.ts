import "server-only";
// Every consult of the clinic for its admin (/admin/consults): who ran it, when, its state, and how
// many messages and documents it holds. Metadata only: the server has no content to show (the
// messages and documents are end-to-end encrypted), and the page says so. Keyset pages, newest first.
import type { Db } from "./db";
import type { ConsultListQuery, ConsultListRow } from "@/lib/shared/consult-list";

export const CONSULT_PAGE_SIZE = 100;

/** What a consult row is read with (this list, and the records reader's list in records-key.ts). */
export const CONSULT_ROW = {
  id: true,
  status: true,
  scheduledAt: true,
  startedAt: true,
  endedAt: true,
  heldAt: true,
  holdReason: true,
  purgedAt: true,
  doctor: { select: { name: true } },
  _count: { select: { messages: true, files: true } },
} as const;

type ConsultRowData = {
  id: string;
  status: string;
  scheduledAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  heldAt: Date | null;
  holdReason: string | null;
  purgedAt: Date | null;
  doctor: { name: string };
  _count: { messages: number; files: number };
};

export function consultRowOf(c: ConsultRowData): ConsultListRow {
  return {
    id: c.id,
    status: c.status,
    doctor: c.doctor.name,
    scheduledAt: c.scheduledAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    endedAt: c.endedAt?.toISOString() ?? null,
    messages: c._count.messages,
    documents: c._count.files,
    hold: c.heldAt ? { since: c.heldAt.toISOString(), reason: c.holdReason ?? "" } : null,
    purgedAt: c.purgedAt?.toISOString() ?? null,
  };
}

/** `<createdAt ISO>_<id>`: where the next page starts. */
const cursorOf = (createdAt: Date, id: string) => `${createdAt.toISOString()}_${id}`;

export async function consultPage(db: Db, q: ConsultListQuery): Promise<{ rows: ConsultListRow[]; next: string | undefined }> {
  const after = q.before ? { at: new Date(q.before.slice(0, q.before.indexOf("_"))), id: q.before.slice(q.before.indexOf("_") + 1) } : undefined;
  const rows = await db.consult.findMany({
    where: {
      ...(q.doctor ? { doctorId: q.doctor } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: CONSULT_PAGE_SIZE + 1,
    select: { ...CONSULT_ROW, createdAt: true },
  });
  const more = rows.length > CONSULT_PAGE_SIZE;
  const page = more ? rows.slice(0, CONSULT_PAGE_SIZE) : rows;
  const last = page[page.length - 1];
  return {
    rows: page.map(consultRowOf),
    next: more && last ? cursorOf(last.createdAt, last.id) : undefined,
  };
}
