// `npm run bench`: Parley's benchmarks against real servers started here (the embedded default,
// and PostgreSQL when its binaries are installed). Prints a table and writes JSON to
// bench/results/latest.json. Figures are recorded in docs/benchmarks.md.
//   npm run bench -- --n 300 --consults 20 --per-consult 20
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { startPostgres, startServer } from "./lib/server";
import { signalLatency, type SignalLatency } from "./signal-latency";
import { callSetup, type CallSetup } from "./call-setup";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "300" },
    calls: { type: "string", default: "12" },
    consults: { type: "string", default: "20" },
    "per-consult": { type: "string", default: "20" },
    "skip-postgres": { type: "boolean", default: false },
    /** measure a server that is already running (with the demo accounts) instead of starting ones */
    url: { type: "string" },
  },
});
const opts = { n: Number(values.n), consults: Number(values.consults), perConsult: Number(values["per-consult"]), calls: Number(values.calls) };

type Row = { database: string; startMs: number; callSetup?: CallSetup } & SignalLatency;
const rows: Row[] = [];

async function bench(database: string, port: number, env: Record<string, string>) {
  const server = await startServer(port, env);
  try {
    console.log(`… ${database}: server up in ${(server.startMs / 1000).toFixed(1)} s; measuring`);
    const signals = await signalLatency(server.baseURL, opts);
    rows.push({ database, startMs: Math.round(server.startMs), ...signals, callSetup: await callSetup(server.baseURL, opts.calls) });
  } finally {
    await server.stop();
  }
}

if (values.url) {
  rows.push({ database: values.url, startMs: 0, ...(await signalLatency(values.url, opts)) });
} else {
  await bench("embedded (PGlite)", 3201, { DATABASE_URL: "" });
}
const pg = values["skip-postgres"] || values.url ? undefined : startPostgres(55499);
if (pg) {
  try {
    await bench("PostgreSQL", 3202, { DATABASE_URL: pg.url, AUTH_SECRET: "bench-only-secret-0123456789-0123456789", SEED_DEMO: "true" });
  } finally {
    pg.stop();
  }
}

const line = (cells: (string | number)[]) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 44 : 10)).join(""));
console.log("\nSignal relay: POST /signals → the peer's event stream (ms)");
line(["case", "n", "p50", "p95", "p99", "max"]);
for (const r of rows) {
  line([`${r.database}, 1 consult`, r.single.n, r.single.p50, r.single.p95, r.single.p99, r.single.max]);
  line([`${r.database}, ${r.concurrent.consults} consults at once`, r.concurrent.n, r.concurrent.p50, r.concurrent.p95, r.concurrent.p99, r.concurrent.max]);
}
console.log("\nCall set-up: admit → first decoded remote frame (ms)");
line(["case", "calls", "p50", "p95", "max"]);
for (const r of rows) {
  if (!r.callSetup) continue;
  for (const [side, sum] of [["both sides", r.callSetup.both], ["doctor", r.callSetup.doctor], ["patient", r.callSetup.patient]] as const) {
    line([`${r.database}, ${side}`, sum.n, sum.p50, sum.p95, sum.max]);
  }
}
console.log("\nServer start with a current build, to /sign-in answering 200 (ms)");
for (const r of rows) line([r.database, r.startMs]);

mkdirSync("bench/results", { recursive: true });
const result = { at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, options: opts, rows };
writeFileSync("bench/results/latest.json", JSON.stringify(result, null, 2) + "\n");
console.log("\nJSON: bench/results/latest.json");
