import "server-only";
// Every route under /api/consults/:id names its access rule once, and the rule is checked the same
// way everywhere, in the same order: the path's ids (not ids: 404), the caller's session and part
// in the consult in one query (no session: 401; not theirs: 404), then the rule (403; an ended
// consult: 409). Only then does the handler run — and read its input, so bad input from someone
// with no right to the consult is never even parsed.
import type { z } from "zod";
import { consultParams } from "@/lib/shared/api";
import { checkAccess, requireConsultAccess, type ConsultAccess } from "./authz";
import { getDb, type Db } from "./db";
import { readParams, route } from "./http";

/**
 * Who may call:
 * - `participant`: anyone in the consult, the waiting room included (the room's snapshot, its stream);
 * - `admitted`: participants in the call (signals, chat, uploads);
 * - `record`: the consult's record — admitted participants, and its doctor at any time, after the call too;
 * - `owner`: the consult's doctor.
 * `open: true` also refuses once the consult has ended.
 */
export type ConsultRule = { who: "participant" | "admitted" | "record" | "owner"; open?: boolean };

export type ConsultCall<P> = { access: ConsultAccess; db: Db; params: P };

export function consultRoute<S extends z.ZodType<{ id: string }> = typeof consultParams>(
  rule: ConsultRule,
  handler: (req: Request, call: ConsultCall<z.infer<S>>) => Promise<Response>,
  paramsSchema?: S,
): (req: Request, ctx: { params: Promise<unknown> }) => Promise<Response> {
  return route(async (req: Request, ctx: { params: Promise<unknown> }) => {
    const params = (await readParams(ctx.params, paramsSchema ?? consultParams)) as z.infer<S>;
    const access = await requireConsultAccess(params.id, { owner: rule.who === "owner", admitted: rule.who === "admitted", open: rule.open });
    if (rule.who === "record" && !access.isOwner) checkAccess(access, { admitted: true });
    return handler(req, { access, db: await getDb(), params });
  });
}
