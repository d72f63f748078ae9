import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { addKeyCopies } from "@/lib/server/key-copies";
import { requestIp } from "@/lib/server/net/request-ip";
import { postKeyCopiesBody } from "@/lib/shared/keys";

/** Stores copies of this consult's keys sealed by the doctor's device to the doctor's backup or devices. */
export const POST = consultRoute({ who: "owner" }, async (req, { access, db }) => {
  const body = await readJson(req, postKeyCopiesBody);
  return json(await addKeyCopies(db, access, body.fromDeviceId, body.copies, requestIp(req)), 201);
});
