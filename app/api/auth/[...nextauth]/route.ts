import type { NextRequest } from "next/server";
import { handlers } from "@/lib/server/auth";
import { contextOf, withRequestContext } from "@/lib/server/request-context";

// next-auth's own handlers, inside the request's context: the audit rows of sign-in, failures and
// sign-out carry the source address and user agent like every other route's.
export const GET = (req: NextRequest) => withRequestContext(contextOf(req), () => handlers.GET(req));
export const POST = (req: NextRequest) => withRequestContext(contextOf(req), () => handlers.POST(req));
