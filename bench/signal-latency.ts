// Signal relay latency: a doctor POSTs a signal addressed to the patient; how long until it comes
// out of the patient's event stream (the path every SDP offer, ICE candidate and handshake message
// takes). Measured for one consult alone, and for many consults at once.
import { HttpActor } from "./lib/http-actor";
import { summarize, type Summary } from "./lib/stats";

type Consult = { id: string; doctor: HttpActor; patientId: string; received: Map<number, (t: number) => void>; abort: AbortController };

type Snapshot = { lastSeq: number; me: { id: string }; participants: { id: string; role: string; state: string }[] };

export async function openConsult(baseURL: string, doctor: HttpActor, n: number, patientBaseURL = baseURL): Promise<Consult> {
  const { id, url } = await doctor.json<{ id: string; url: string }>("/api/consults", {});
  const patient = new HttpActor(patientBaseURL);
  await patient.signIn("invite", { token: new URL(url).pathname.split("/").pop() ?? "" });
  const waiting = await patient.json<Snapshot>(`/api/consults/${id}`);
  await doctor.json(`/api/consults/${id}/admit`, { participantId: waiting.me.id });
  const snap = await patient.json<Snapshot>(`/api/consults/${id}`);
  const abort = new AbortController();
  const frames = await patient.stream(id, snap.lastSeq, abort.signal);
  const received = new Map<number, (t: number) => void>();
  const ready = (async () => {
    // The first frame is `retry:`: the stream is open.
    await frames.next();
  })();
  void (async () => {
    try {
      for await (const f of frames) {
        if (f.event !== "signal" || !f.data) continue;
        const e = JSON.parse(f.data) as { payload: { i?: number } };
        const i = e.payload.i;
        if (i !== undefined) received.get(i)?.(performance.now());
      }
    } catch {
      // aborted at the end of the run
    }
  })();
  await ready;
  return { id, doctor, patientId: snap.me.id, received, abort };
}

export async function sendAndWait(c: Consult, i: number): Promise<number> {
  const arrived = new Promise<number>((resolve) => c.received.set(i, resolve));
  const t0 = performance.now();
  await c.doctor.json(`/api/consults/${c.id}/signals`, { to: c.patientId, type: "bench", payload: { i, pad: "x".repeat(400) } });
  const t1 = await arrived;
  c.received.delete(i);
  return t1 - t0;
}

export type SignalLatency = { single: Summary; concurrent: Summary & { consults: number } };

export async function signalLatency(baseURL: string, opts: { n: number; consults: number; perConsult: number }): Promise<SignalLatency> {
  const doctor = new HttpActor(baseURL);
  await doctor.signIn("staff", { email: "doctor@parley.test", password: process.env.DEMO_PASSWORD ?? "parley-demo" });

  const one = await openConsult(baseURL, doctor, 0);
  for (let i = 0; i < 10; i++) await sendAndWait(one, -1 - i); // warm-up
  const single: number[] = [];
  for (let i = 0; i < opts.n; i++) single.push(await sendAndWait(one, i));
  one.abort.abort();

  const many: Consult[] = [];
  for (let k = 0; k < opts.consults; k++) many.push(await openConsult(baseURL, doctor, k + 1));
  const concurrent: number[] = [];
  await Promise.all(
    many.map(async (c) => {
      for (let i = 0; i < opts.perConsult; i++) concurrent.push(await sendAndWait(c, i));
    }),
  );
  for (const c of many) c.abort.abort();
  return { single: summarize(single), concurrent: { ...summarize(concurrent), consults: opts.consults } };
}
