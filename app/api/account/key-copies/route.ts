import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, parseWith, route } from "@/lib/server/http";
import { listKeyCopies } from "@/lib/server/key-copies";
import { keyCopiesQuery } from "@/lib/shared/keys";

/** The sealed key copies addressed to the caller's devices or backup, a page at a time. */
export const GET = route(async (req) => {
  const me = await requireStaffSession();
  const q = parseWith(keyCopiesQuery, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listKeyCopies(await getDb(), me, q.recipient, q.after));
});
