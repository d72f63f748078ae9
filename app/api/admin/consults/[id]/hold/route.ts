import { consultParams } from "@/lib/shared/api";
import { holdAnswer, holdBody, noHoldBody } from "@/lib/shared/consult-list";
import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { placeHold, releaseHold } from "@/lib/server/legal-hold";

type Ctx = { params: Promise<{ id: string }> };

/** Places a legal hold on a consult, with the reason (admins only): nothing of it is deleted until released. Audited. */
export const POST = route(async (req, { params }: Ctx) => {
  const admin = await requireRole("admin");
  const { id } = await readParams(params, consultParams);
  const { reason } = await readJson(req, holdBody);
  return json(holdAnswer.parse(await placeHold(await getDb(), admin, id, reason)), 201);
});

/** Releases the hold (admins only); retention and deletions apply again. Audited with the hold's reason. */
export const DELETE = route(async (req, { params }: Ctx) => {
  const admin = await requireRole("admin");
  const { id } = await readParams(params, consultParams);
  await readJson(req, noHoldBody);
  await releaseHold(await getDb(), admin, id);
  return json({ ok: true });
});
