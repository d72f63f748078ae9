// `npm run bench`: Parley's benchmarks against real servers started here (the embedded default,
// and PostgreSQL when its binaries are installed). Prints a table and writes JSON to
// bench/results/latest.json. The latest figures are in docs/benchmarks.md, each dated pass in
// docs/bench-log/.
//   npm run bench -- --n 300 --consults 20 --per-consult 20
//   npm run bench -- --only chat --chat-consults 50          just the chat benchmark
//   npm run bench -- --only relay --relay-drops 5            relay-only calls and recovery (coturn)
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { startPostgres, startServer } from "./lib/server";
import { signalLatency, type SignalLatency } from "./signal-latency";
import { callSetup, type CallSetup } from "./call-setup";
import { chatLatency, type ChatLatency } from "./chat-latency";
import { chatBrowser, type ChatBrowser } from "./chat-browser";
import { fileChunkSize, type ChunkSizeResult } from "./file-chunk-size";
import { backupKdf, type BackupKdfResult } from "./backup-kdf";
import { filesBench, filesOnStores, type FilesResult } from "./files";
import { relayBench, type RelayResult } from "./call-relay";
import { shapeLoopback } from "./lib/link";
import { instancesBench, type InstancesResult } from "./instances";
import { bareCall, type BareCall } from "./bare-call";
import { auditQuery, type AuditQueryResult } from "./audit-query";

const PARTS = ["signal", "chat", "chat-browser", "call", "chunk-size", "backup-kdf", "files", "relay", "instances", "audit"] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "300" },
    calls: { type: "string", default: "12" },
    consults: { type: "string", default: "20" },
    "per-consult": { type: "string", default: "20" },
    /** chat: messages in the one-consult case */
    "chat-n": { type: "string", default: "200" },
    /** chat: consults chatting at once */
    "chat-consults": { type: "string", default: "50" },
    /** chat: every consult sends one message per interval, alternating sides */
    "chat-interval": { type: "string", default: "500" },
    "chat-duration": { type: "string", default: "20000" },
    /** chat: no mid-run reconnect of the event streams */
    "chat-no-reconnect": { type: "boolean", default: false },
    /** chat-browser: messages between two real browsers in one verified consult */
    "chat-browser-n": { type: "string", default: "60" },
    /** files: document sizes in MiB (each sent and fetched both ways, --files-reps times) */
    "files-sizes": { type: "string", default: "8,64,256" },
    "files-reps": { type: "string", default: "3" },
    /** files: a large file (MiB) sent and fetched once in the room, for memory; filesystem store only; 0: none */
    "files-large": { type: "string", default: "1024" },
    /** files: the stores to measure, filesystem and/or s3 (Ceph RGW) */
    "files-stores": { type: "string", default: "filesystem,s3" },
    /** files: shape the namespace's loopback to this rate for the run (tc syntax, e.g. 100mbit); default: unshaped */
    "files-link": { type: "string", default: "" },
    /** files: "memory" seals in the sending page as where the browser has no origin-private file system; default: what the room does (a worker spooling to disk) */
    "files-sealing": { type: "string", default: "" },
    /** files: "split" (default): the browser sending or receiving alone on half the CPUs, everything else on the other half, as across a network; "shared": all on all CPUs */
    "files-cpus": { type: "string", default: "split" },
    /** relay: relay-only calls set up, and drops of the relay mid-call recovered from */
    "relay-calls": { type: "string", default: "8" },
    "relay-drops": { type: "string", default: "5" },
    /** relay: short blips of the relay (restarted at once), each should keep the same connection */
    "relay-blips": { type: "string", default: "5" },
    /** relay: how long the relay stays down in a blip (ms) */
    "relay-blip-ms": { type: "string", default: "1500" },
    /** relay: processes spinning on the CPUs during the drops and blips (a busy machine) */
    "relay-load": { type: "string", default: "0" },
    /** instances: signals (sent apart by up to 2 s) and calls across two instances on one PostgreSQL, with LISTEN and poll only */
    "instances-n": { type: "string", default: "40" },
    "instances-calls": { type: "string", default: "6" },
    /** audit: rows in the audit trail the viewer's queries run over */
    "audit-rows": { type: "string", default: "100000" },
    /** comma-separated parts to run: signal, chat, chat-browser, call, chunk-size, backup-kdf, files, relay, instances, audit (default all) */
    only: { type: "string", default: PARTS.join(",") },
    "skip-postgres": { type: "boolean", default: false },
    "skip-embedded": { type: "boolean", default: false },
    /** measure a server that is already running (with the demo accounts) instead of starting ones */
    url: { type: "string" },
  },
});
const only = new Set(values.only.split(",").map((s) => s.trim()));
for (const p of only) if (!PARTS.includes(p as Part)) throw new Error(`--only: unknown part ${p} (one of ${PARTS.join(", ")})`);
const want = (p: Part) => only.has(p);
const opts = { n: Number(values.n), consults: Number(values.consults), perConsult: Number(values["per-consult"]), calls: Number(values.calls) };
const chatOpts = {
  n: Number(values["chat-n"]),
  consults: Number(values["chat-consults"]),
  intervalMs: Number(values["chat-interval"]),
  durationMs: Number(values["chat-duration"]),
  reconnect: !values["chat-no-reconnect"],
};
if (!["split", "shared"].includes(values["files-cpus"])) throw new Error("--files-cpus: split or shared");
/** Splitting the CPUs needs two of them and taskset (util-linux); without, everything shares them. */
const canSplit = os.cpus().length >= 2 && spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
if (values["files-cpus"] === "split" && !canSplit) console.log("(--files-cpus split ignored: it needs 2 CPUs and taskset)");
const filesOpts = {
  sizesMiB: values["files-sizes"].split(",").map(Number),
  reps: Number(values["files-reps"]),
  largeMiB: Number(values["files-large"]) || undefined,
  link: values["files-link"] || undefined,
  sealInMemory: values["files-sealing"] === "memory",
  splitCpus: values["files-cpus"] === "split" && canSplit,
};
const filesStores = values["files-stores"].split(",").map((s) => {
  const store = s.trim();
  if (store !== "filesystem" && store !== "s3") throw new Error(`--files-stores: unknown store ${store} (filesystem, s3)`);
  return store;
});

type Row = { database: string; startMs: number; signals?: SignalLatency; chat?: ChatLatency; chatBrowser?: ChatBrowser; chatBrowserVideoOff?: ChatBrowser; callSetup?: CallSetup };
const rows: Row[] = [];

async function measure(database: string, baseURL: string, startMs: number, calls: boolean, serverCpuMs?: () => number): Promise<void> {
  const row: Row = { database, startMs: Math.round(startMs) };
  rows.push(row);
  if (want("signal")) row.signals = await signalLatency(baseURL, opts);
  if (want("chat")) row.chat = await chatLatency(baseURL, { ...chatOpts, serverCpuMs });
  if (want("chat-browser") && calls) {
    row.chatBrowser = await chatBrowser(baseURL, Number(values["chat-browser-n"]));
    row.chatBrowserVideoOff = await chatBrowser(baseURL, Number(values["chat-browser-n"]), true);
  }
  if (want("call") && calls) row.callSetup = await callSetup(baseURL, opts.calls);
}

async function bench(database: string, port: number, env: Record<string, string>, dbCpuMs?: () => number) {
  const server = await startServer(port, env);
  try {
    console.log(`… ${database}: server up in ${(server.startMs / 1000).toFixed(1)} s; measuring`);
    await measure(database, server.baseURL, server.startMs, true, () => server.cpuMs() + (dbCpuMs?.() ?? 0));
  } finally {
    await server.stop();
  }
}

// The bare stack (simple-peer over a bare SSE relay) in the same run, for the call's ratio to it.
const bare: BareCall | undefined = want("call") ? await bareCall(opts.calls) : undefined;

// The parts measured on the servers started here (documents and the chunk size bring their own).
const onServers = (["signal", "chat", "chat-browser", "call"] as const).some(want);
if (values.url) {
  await measure(values.url, values.url, 0, false);
} else if (onServers && !values["skip-embedded"]) {
  await bench("embedded (PGlite)", 3201, { DATABASE_URL: "" });
}
const pg = values["skip-postgres"] || values.url || !onServers ? undefined : startPostgres(55499);
if (pg) {
  try {
    await bench("PostgreSQL", 3202, { DATABASE_URL: pg.url, AUTH_SECRET: "bench-only-secret-0123456789-0123456789", SEED_DEMO: "true", STAFF_MFA: "optional" }, () => pg.cpuMs());
  } finally {
    pg.stop();
  }
}

// Documents: their own servers (the embedded database; the filesystem store, then S3 on Ceph RGW).
let files: FilesResult[] | undefined;
if (want("files")) {
  const unshape = filesOpts.link ? shapeLoopback(filesOpts.link) : undefined;
  if (filesOpts.link && !unshape) filesOpts.link = undefined;
  try {
    files = values.url ? [await filesBench(values.url, values.url, filesOpts)] : await filesOnStores(filesOpts, filesStores);
  } finally {
    unshape?.();
  }
}

// Relay-only calls: their own server (embedded database) and coturn.
const relay: RelayResult | undefined =
  want("relay") && !values.url
    ? await relayBench({
        calls: Number(values["relay-calls"]),
        drops: Number(values["relay-drops"]),
        blips: Number(values["relay-blips"]),
        blipMs: Number(values["relay-blip-ms"]),
        load: Number(values["relay-load"]),
      })
    : undefined;

// Two instances on one PostgreSQL: their own cluster and servers.
let instances: InstancesResult[] | undefined;
if (want("instances") && !values.url) {
  const cluster = startPostgres(55498);
  if (cluster) {
    try {
      instances = await instancesBench(cluster, { n: Number(values["instances-n"]), calls: Number(values["instances-calls"]) });
    } finally {
      cluster.stop();
    }
  } else {
    console.log("(instances skipped: no PostgreSQL binaries)");
  }
}

// The audit viewer's queries: their own databases (embedded, then a PostgreSQL cluster).
const audits: AuditQueryResult[] = [];
if (want("audit") && !values.url) {
  const auditRows = Number(values["audit-rows"]);
  if (!values["skip-embedded"]) audits.push(auditQuery("embedded (PGlite)", "", auditRows));
  const cluster = values["skip-postgres"] ? undefined : startPostgres(55497);
  if (cluster) {
    try {
      audits.push(auditQuery("PostgreSQL", cluster.url, auditRows));
    } finally {
      cluster.stop();
    }
  }
}

// Needs no server: the file chunk size is a property of the browser's WebCrypto.
const chunkSizes: ChunkSizeResult | undefined = want("chunk-size") ? await fileChunkSize() : undefined;
// Nor does unlocking the key backup: Argon2id in the browser.
const kdf: BackupKdfResult | undefined = want("backup-kdf") ? await backupKdf() : undefined;

const line = (cells: (string | number)[]) => console.log(cells.map((c, i) => `${c} `.padEnd(i === 0 ? 44 : 10)).join(""));
if (rows.some((r) => r.signals)) {
  console.log("\nSignal relay: POST /signals → the peer's event stream (ms)");
  line(["case", "n", "p50", "p95", "p99", "max"]);
  for (const r of rows) {
    if (!r.signals) continue;
    const { single, concurrent } = r.signals;
    line([`${r.database}, 1 consult`, single.n, single.p50, single.p95, single.p99, single.max]);
    line([`${r.database}, ${concurrent.consults} consults at once`, concurrent.n, concurrent.p50, concurrent.p95, concurrent.p99, concurrent.max]);
  }
}
if (rows.some((r) => r.chat)) {
  const c0 = rows.find((r) => r.chat)?.chat?.concurrent;
  console.log(
    `\nChat: send (seal + POST) → decrypted and verified on the other side (ms); ` + `${c0?.consults} consults × 1 message / ${c0?.intervalMs} ms for ${((c0?.durationMs ?? 0) / 1000).toFixed(0)} s`,
  );
  line(["case", "n", "p50", "p95", "p99", "max", "lost", "dup", "failed", "refused", "cpu/msg", "load"]);
  for (const r of rows) {
    if (!r.chat) continue;
    const { single, concurrent } = r.chat;
    for (const [name, s] of [
      [`${r.database}, 1 consult`, single],
      [`${r.database}, ${concurrent.consults} consults at once`, concurrent],
    ] as const) {
      line([name, s.n, s.p50, s.p95, s.p99, s.max, s.lost, s.duplicates, s.failed, s.refused, s.serverCpuMsPerMessage ?? "", s.load.join("→")]);
    }
  }
  console.log("(cpu/msg: CPU ms the server and its database used per message sent; load: the machine's 1-minute load average before → after)");
}
if (rows.some((r) => r.chatBrowser)) {
  console.log("\nChat in two browsers, one verified consult, both directions: Send pressed → (ms; targets: own bubble p95 ≤ 16, other screen p95 ≤ 100)");
  line(["case", "n", "p50", "p95", "p99", "max"]);
  for (const r of rows) {
    for (const [cams, c] of [
      ["cameras on", r.chatBrowser],
      ["cameras off", r.chatBrowserVideoOff],
    ] as const) {
      if (!c) continue;
      for (const [what, s] of [
        ["own bubble", c.ownBubble],
        ["sent (not sending)", c.sent],
        ["other screen", c.latency],
      ] as const) {
        line([`${r.database}, ${cams}: ${what}`, s.n, s.p50, s.p95, s.p99, s.max]);
      }
    }
  }
  for (const r of rows) {
    if (!r.chatBrowser) continue;
    console.log(`\nChat send timeline, ${r.database}, cameras on: each step's p50, ms after Send (lib/client/chat/chat-timeline.ts)`);
    for (const s of r.chatBrowser.steps) line([s.step, s.p50 ?? "-"]);
  }
}
if (rows.some((r) => r.callSetup)) {
  console.log("\nCall set-up: admit → first decoded remote frame (ms)");
  line(["case", "calls", "p50", "p95", "max"]);
  for (const r of rows) {
    if (!r.callSetup) continue;
    for (const [side, sum] of [
      ["both sides", r.callSetup.both],
      ["doctor", r.callSetup.doctor],
      ["patient", r.callSetup.patient],
    ] as const) {
      line([`${r.database}, ${side}`, sum.n, sum.p50, sum.p95, sum.max]);
    }
  }
  if (bare) {
    line(["bare simple-peer over SSE, both sides", bare.both.n, bare.both.p50, bare.both.p95, bare.both.max]);
    for (const r of rows) if (r.callSetup) console.log(`ratio to the bare stack (p50, both sides), ${r.database}: ${(r.callSetup.both.p50 / bare.both.p50).toFixed(2)}× (target ≤ 1.10×)`);
  }
  for (const r of rows) {
    if (!r.callSetup) continue;
    console.log(`\nCall set-up timeline, ${r.database}: each step's p50, ms after the admit click (lib/rtc/call-timeline.ts)`);
    line(["step", "doctor", "patient"]);
    for (const t of r.callSetup.timeline) line([t.step, t.doctor ?? "-", t.patient ?? "-"]);
  }
}
if (relay) {
  console.log(`\nRelay-only calls (ICE_TRANSPORT_POLICY=relay, coturn on 127.0.0.1; ms)${relay.load ? `, drops and blips with ${relay.load} spinning processes` : ""}`);
  line(["case", "n", "p50", "p95", "max"]);
  for (const [name, sum] of [
    ["set-up: admit → first frame, both sides", relay.setup.both],
    ["drop: relay stopped → both reconnecting", relay.detect],
    ["drop: relay back → both connected, verified", relay.recovery],
    [`blip (${relay.blipMs} ms): relay back → connected`, relay.blip],
  ] as const) {
    line([name, sum.n, sum.p50, sum.p95, sum.max]);
  }
  console.log(`kept the same peer connection (ICE restarts, no new handshake): drops ${relay.dropsKept} of ${relay.drops}, blips ${relay.blipsKept} of ${relay.blips}`);
}
if (instances) {
  console.log("\nTwo instances on one PostgreSQL, the doctor on A and the patient on B (ms)");
  line(["case", "n", "p50", "p95", "max"]);
  for (const r of instances) {
    const how = r.listen ? "LISTEN" : "poll only (EVENTS_LISTEN=false)";
    line([`signal A → B, ${how}`, r.signals.n, r.signals.p50, r.signals.p95, r.signals.max]);
    line([`call set-up, both sides, ${how}`, r.call.both.n, r.call.both.p50, r.call.both.p95, r.call.both.max]);
  }
}
if (audits.length) {
  console.log(`\nAudit viewer: one page (100 rows, newest first) of the filtered trail, lib/server/audit/read.ts (ms; target p95 ≤ 100)`);
  line(["case", "rows", "p50", "p95", "p99", "max"]);
  for (const a of audits) {
    console.log(`${a.database}: ${a.rows} rows written through the trigger in ${(a.fillMs / 1000).toFixed(1)} s`);
    for (const r of a.results) line([`  ${r.name}`, r.rows, r.ms.p50, r.ms.p95, r.ms.p99, r.ms.max]);
    line([`  export one consult (all its rows)`, a.exportRows, Math.round(a.exportMs), "", "", ""]);
    line([`  check the whole chain`, a.verify.checked, a.verify.ms.p50, "", "", a.verify.ms.max]);
  }
}
if (kdf) {
  const { memoryKiB, iterations, parallelism } = kdf.params;
  console.log(`\nKey backup: one Argon2id derivation in Chromium (hash-wasm; m = ${memoryKiB} KiB, t = ${iterations}, p = ${parallelism}; ms)`);
  line(["case", "n", "p50", "p95", "max"]);
  line(["set a passphrase, or restore", kdf.ms.n, kdf.ms.p50, kdf.ms.p95, kdf.ms.max]);
}
if (chunkSizes) {
  console.log("\nFile chunk size: Chromium AES-256-GCM + SHA-256 per chunk over 64 MiB (MiB/s, best of 2)");
  for (const [size, rate] of Object.entries(chunkSizes.mibPerSecond)) line([size, rate]);
  const t = chunkSizes.touch;
  if (t) {
    console.log("\nWhat the page's memory costs per 256 MiB (ms, best of 2): fresh pages vs reused ones, and WebCrypto's input copies (on the calling thread)");
    line(["copy into one reused buffer", t.copyWarm]);
    line(["copy into a fresh buffer each time", t.copyFresh]);
    line(["read a Blob, default reader", t.readDefault]);
    line(["read a Blob, BYOB into one buffer", t.readByob]);
    line(["256 KiB chunks: encrypt() returning", t.cryptoCalls.encryptSync]);
    line(["256 KiB chunks: digest() returning", t.cryptoCalls.digestSync]);
    line(["256 KiB chunks: encrypt + digest, all", t.cryptoCalls.total]);
  }
}
if (files) {
  const MiB = 1024 * 1024;
  const mib = (b: number | undefined) => (b === undefined || Number.isNaN(b) ? "" : (b / MiB).toFixed(0));
  const f0 = files[0];
  console.log(
    `\nDocuments: encrypt-and-upload in the room (choose → server's answer to complete) vs the same bytes uploaded plain, ` +
      `same store, same API, parts of ${((f0?.partSize ?? 0) / MiB).toFixed(2)} MiB, ${f0?.parallelParts} at a time (MB/s, median of ${filesOpts.reps}; target ratio ≥ 0.70)` +
      (filesOpts.link ? `, every byte over a ${filesOpts.link} link (tc tbf on lo)` : "") +
      (filesOpts.splitCpus
        ? `; the browser sending or receiving alone on ${Math.floor(os.cpus().length / 2)} of the ${os.cpus().length} CPUs, the servers, the store and the other browser on the rest (--files-cpus shared: all on all)`
        : "; everything sharing all CPUs"),
  );
  line(["case", "app", "plain", "ratio"]);
  for (const f of files) for (const s of f.sizes) line([`${f.store}, ${s.mib} MiB`, s.upload.app.median, s.upload.plain.median, s.upload.ratio]);
  console.log(`\nDocuments: CPU per upload (s, median of ${filesOpts.reps}): the sending browser's process tree and the app server (on S3 the store's own CPU is not counted)`);
  line(["case", "browser:app", "plain", "server:app", "plain", "app/plain", "busy:app", "plain", "faults/MiB:app", "plain"]);
  const perMiB = (x: number | undefined, mib: number) => (x !== undefined && Number.isFinite(x) ? Math.round(x / mib) : "–");
  const pct = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${Math.round(x * 100)}%` : "–");
  const s1 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "–");
  for (const f of files) {
    for (const s of f.sizes) {
      const { app, plain } = s.cpu;
      line([
        `${f.store}, ${s.mib} MiB`,
        s1(app.sender),
        s1(plain.sender),
        s1(app.server),
        s1(plain.server),
        ((app.sender + app.server) / (plain.sender + plain.server)).toFixed(2),
        pct(app.busy),
        pct(plain.busy),
        perMiB(app.faults, s.mib),
        perMiB(plain.faults, s.mib),
      ]);
    }
    const last = f.sizes.at(-1);
    const top = (t: [string, number][] | undefined) =>
      (t ?? [])
        .slice(0, 6)
        .map(([k, v]) => `${k} ${s1(v)}`)
        .join(", ");
    if (last) console.log(`  ${f.store}, ${last.mib} MiB, busiest browser threads (last run, s): app: ${top(last.cpu.app.threads)}; plain: ${top(last.cpu.plain.threads)}`);
  }
  console.log(`\nDocuments: download-and-decrypt to disk (Download → browser's download finished) vs a plain presigned GET of the same ciphertext (MB/s, median of ${filesOpts.reps})`);
  line(["case", "app", "plain", "ratio"]);
  for (const f of files) for (const s of f.sizes) line([`${f.store}, ${s.mib} MiB`, s.download.app.median, s.download.plain.median, s.download.ratio]);
  console.log(`\nDocuments: browser memory (RSS summed over the Chromium process tree, MiB; the run with the largest increase of ${filesOpts.reps}; heap+: the page's JS heap increase)`);
  line(["case", "baseline", "peak", "increase", "heap+", "plain+", "receive+"]);
  for (const f of files) {
    for (const s of f.sizes) {
      const m = s.memory;
      line([
        `${f.store}, sending ${s.mib} MiB`,
        mib(m.sending.baseline),
        mib(m.sending.peak),
        mib(m.sending.increase),
        mib(m.sending.heapIncrease),
        mib(m.sendingPlain.increase),
        mib(m.receiving.increase),
      ]);
    }
    const l = f.large;
    if (l) line([`${f.store}, sending ${l.mib} MiB (once)`, mib(l.sending.baseline), mib(l.sending.peak), mib(l.sending.increase), mib(l.sending.heapIncrease), "", mib(l.receiving.increase)]);
    const small = f.sizes[0];
    const last = f.sizes[f.sizes.length - 1];
    const large = l ?? (last && { mib: last.mib, sending: last.memory.sending, receiving: last.memory.receiving });
    if (small && large && large.mib !== small.mib) {
      console.log(
        `  ${f.store}: a ${large.mib / small.mib}× larger file took ${(large.sending.increase / small.memory.sending.increase).toFixed(2)}× the memory increase to send, ` +
          `${(large.receiving.increase / small.memory.receiving.increase).toFixed(2)}× to receive` +
          (l ? `; the ${l.mib} MiB file went up at ${l.upload} MB/s and down at ${l.download} MB/s` : ""),
      );
    }
  }
  const kinds = (m: { byKind?: Record<string, number> }) =>
    Object.entries(m.byKind ?? {})
      .filter(([, v]) => Math.abs(v) >= MiB)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v > 0 ? "+" : ""}${mib(v)}`)
      .join(", ");
  for (const f of files) {
    const big = f.large ?? f.sizes[f.sizes.length - 1];
    if (big && "memory" in big) console.log(`  ${f.store}, ${big.mib} MiB, by process at the peak: sending ${kinds(big.memory.sending)}; receiving ${kinds(big.memory.receiving)}`);
    else if (big) console.log(`  ${f.store}, ${big.mib} MiB, by process at the peak: sending ${kinds(big.sending)}; receiving ${kinds(big.receiving)}`);
  }
  console.log("(plain+: the increase while uploading the same file plain; receive+: the doctor's browser while downloading and decrypting it)");
  for (const f of files) if (f.cspBypassed) console.log(`NOTE ${f.store}: pages ran with Playwright's bypassCSP, because the app's CSP connect-src does not allow the store's origin yet`);
  for (const f of files) console.log(`load (1-minute average) during ${f.store}: ${f.load.join(" → ")}`);
  for (const f of files)
    if (f.atRest)
      console.log(
        `sending browser at rest in the room (${f.store}): ${(f.atRest.cores * 100).toFixed(0)} % of a core; ${f.atRest.threads
          .slice(0, 5)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(", ")} (per 3 s)`,
      );
}
if (rows.length > 0) {
  console.log("\nServer start with a current build, to /sign-in answering 200 (ms)");
  for (const r of rows) line([r.database, r.startMs]);
}

mkdirSync("bench/results", { recursive: true });
const result = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version },
  options: { ...opts, chat: chatOpts, files: filesOpts, only: [...only] },
  rows,
  chunkSizes,
  kdf,
  files,
  relay,
  instances,
  audits,
};
writeFileSync("bench/results/latest.json", JSON.stringify(result, null, 2) + "\n");
console.log("\nJSON: bench/results/latest.json");
