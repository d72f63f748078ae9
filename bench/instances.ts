// Two instances of Parley on one PostgreSQL, as behind a load balancer or on a serverless platform
// where the request that writes an event and the stream that reads it run in different processes:
// the doctor on instance A, the patient on instance B. With LISTEN (the default) B hears of A's
// rows at once; with EVENTS_LISTEN=false (a database reachable only through a transaction pooler)
// B finds them at its next poll of the log. Measured: signal delivery from A to B, and call set-up
// (click on "admit" to the first remote video frame on both sides) with the two browsers on A and B.
import { HttpActor } from "./lib/http-actor";
import { startServer, type Cluster } from "./lib/server";
import { summarize, type Summary } from "./lib/stats";
import { openConsult, sendAndWait } from "./signal-latency";
import { callSetup, type CallSetup } from "./call-setup";

export type InstancesResult = { listen: boolean; signals: Summary; call: CallSetup };

const AUTH_SECRET = "bench-only-secret-0123456789-0123456789";

async function signalsAcross(a: string, b: string, n: number): Promise<Summary> {
  const doctor = new HttpActor(a);
  await doctor.signIn("staff", { email: "doctor@parley.test", password: process.env.DEMO_PASSWORD ?? "parley-demo" });
  const c = await openConsult(a, doctor, 0, b);
  for (let i = 0; i < 5; i++) await sendAndWait(c, -1 - i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(await sendAndWait(c, i));
    // Apart by a random fraction of the poll interval, so sends do not lock onto B's poll phase.
    await new Promise((r) => setTimeout(r, Math.random() * 2_000));
  }
  c.abort.abort();
  return summarize(times);
}

export async function instancesBench(pg: Cluster, opts: { n: number; calls: number }): Promise<InstancesResult[]> {
  // The demo doctor signs in with a password alone (STAFF_MFA is "required" on PostgreSQL by default).
  const env = { DATABASE_URL: pg.url, AUTH_SECRET, SEED_DEMO: "true", STAFF_MFA: "optional" };
  const results: InstancesResult[] = [];
  const a = await startServer(3203, env);
  try {
    for (const listen of [true, false]) {
      const b = await startServer(3204, { ...env, EVENTS_LISTEN: String(listen) });
      try {
        console.log(`… two instances, ${listen ? "LISTEN" : "poll only"}: measuring`);
        const signals = await signalsAcross(a.baseURL, b.baseURL, opts.n);
        const call = await callSetup(a.baseURL, opts.calls, b.baseURL);
        results.push({ listen, signals, call });
      } finally {
        await b.stop();
      }
    }
  } finally {
    await a.stop();
  }
  return results;
}
