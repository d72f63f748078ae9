import { headers } from "next/headers";
import { roomSnapshot } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json } from "@/lib/server/http";
import { publicOrigin } from "@/lib/server/origin";

/** The room as the caller may see it, with the log head to stream from. */
export const GET = consultRoute({ who: "participant" }, async (_req, { access, db }) => json(await roomSnapshot(db, access, publicOrigin(await headers()))));
