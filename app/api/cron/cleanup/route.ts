import { timingSafeEqual } from "node:crypto";
import { ApiError } from "@/lib/server/errors";
import { getDb } from "@/lib/server/db";
import { getServerEnv } from "@/lib/server/env";
import { json, route } from "@/lib/server/http";
import { runCleanup } from "@/lib/server/cleanup";
import { getBlobStore } from "@/lib/server/storage";

export const dynamic = "force-dynamic";

/**
 * The scheduled clean-up (lib/server/cleanup.ts), for Vercel Cron or any scheduler: it sends
 * `Authorization: Bearer <CRON_SECRET>`. Without CRON_SECRET the route does not exist.
 */
export const GET = route(async (req) => {
  const secret = getServerEnv().cronSecret;
  if (!secret) throw new ApiError("not_found", "no such route");
  const given = Buffer.from(req.headers.get("authorization") ?? "");
  const expected = Buffer.from(`Bearer ${secret}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError("unauthenticated", "the scheduler's CRON_SECRET is required");
  }
  return json(await runCleanup(await getDb(), getBlobStore(), new Date(), getServerEnv().retentionDays));
});
