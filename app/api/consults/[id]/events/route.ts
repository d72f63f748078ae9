import { eventsQuery } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { getServerEnv } from "@/lib/server/env";
import { openEventStream } from "@/lib/server/events/stream";
import { parseWith } from "@/lib/server/http";

export const dynamic = "force-dynamic";
// Vercel's limit on one response; the stream ends itself before it (STREAM_MAX_SECONDS).
export const maxDuration = 300;

/** The caller's Server-Sent Events stream: resumes after `Last-Event-ID`, or `?after=` on a fresh page. */
export const GET = consultRoute({ who: "participant" }, (req, { access, db }) => {
  const url = new URL(req.url);
  const query = parseWith(eventsQuery, {
    after: req.headers.get("last-event-id") ?? url.searchParams.get("after") ?? undefined,
  });
  const stream = openEventStream({ db, access, after: query.after ?? 0, signal: req.signal, maxMs: getServerEnv().streamMaxMs });
  return Promise.resolve(
    new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        "x-accel-buffering": "no",
        connection: "keep-alive",
      },
    }),
  );
});
