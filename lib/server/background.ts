import "server-only";
// Work that must not hold up an answer (sweeps of abandoned uploads). Inside a request it goes to
// Next's after(): the answer leaves first, and a serverless platform keeps the function alive
// until the work ends (Vercel's waitUntil) instead of freezing it half-way. Outside a request (a
// test, a script) it simply runs.
import { after } from "next/server";
import { errField, getLog } from "./log";

export function inBackground(what: string, task: () => Promise<unknown>): void {
  const run = () =>
    task().then(
      () => undefined,
      (err: unknown) => getLog().warn({ err: errField(err) }, `${what} failed`),
    );
  try {
    after(run);
  } catch {
    void run(); // no request in scope
  }
}
