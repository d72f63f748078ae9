import "server-only";
// Presence beyond "the event stream is open": whether the person's tab is shown (online) or hidden
// (away), and whether they are typing. Each update is a `presence` event; the stream itself adds
// `online`/`offline` when it opens and closes. Presence events are kept as briefly as signals.
import type { Db } from "./db";
import type { ConsultAccess } from "./authz";
import { withEvents } from "./events/log";
import { checkRate } from "./rate-limits";
import type { PresenceUpdate } from "@/lib/shared/api";

/** Past the participant's presence limit the update is refused (429) and nothing is written. */
export async function updatePresence(db: Db, access: ConsultAccess, update: PresenceUpdate): Promise<void> {
  await checkRate(db, access.participant.id, "presence");
  await withEvents(db, access.consult.id, async (tx, emit) => {
    await tx.participant.update({ where: { id: access.participant.id }, data: { lastSeenAt: new Date() } });
    emit({
      consultId: access.consult.id,
      kind: "presence",
      type: update.status,
      from: access.participant.id,
      payload: { participantId: access.participant.id, typing: update.typing },
    });
  });
}
