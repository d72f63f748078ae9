// Starts Parley the way a clinic does (`npm start`'s script) for a benchmark run, and a throwaway
// PostgreSQL when the machine has its binaries. Everything binds 127.0.0.1; everything started
// here is stopped here, by PID.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { treeCpuMs } from "./cpu";
import os from "node:os";
import path from "node:path";

export type RunningServer = { baseURL: string; startMs: number; /** CPU ms used so far by the server's processes */ cpuMs(): number; stop(): Promise<void> };

/**
 * For looking into a run: BENCH_SERVER_LOG=<file> keeps the server's output (appended at its stop);
 * BENCH_CPU_PROF=<dir> has every Node process of the server write a V8 CPU profile there at exit.
 */
export async function startServer(port: number, env: Record<string, string>): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "parley-bench-"));
  const t0 = performance.now();
  const prof = process.env.BENCH_CPU_PROF;
  const preload = path.resolve("bench/lib/cpu-profile.mjs");
  const nodeOptions = prof ? { BENCH_CPU_PROF: path.resolve(prof), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim() } : {};
  const child: ChildProcess = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/start.ts"], {
    // API clients in a long run report no activity: keep idle logoff out of the figures.
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1", IDLE_TIMEOUT_MINUTES: "720", ...nodeOptions, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const baseURL = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited early:\n${log}`);
    const ok = await fetch(`${baseURL}/sign-in`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (performance.now() - t0 > 240_000) throw new Error(`the server did not answer within 240 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const startMs = performance.now() - t0;
  return {
    baseURL,
    startMs,
    cpuMs: () => (child.pid ? treeCpuMs(child.pid) : NaN),
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      const keep = process.env.BENCH_SERVER_LOG;
      if (keep) appendFileSync(keep, `==== ${baseURL} (${env.DATABASE_URL ? "PostgreSQL" : "embedded"})\n${log}\n`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Cluster = { url: string; /** CPU ms used so far by the cluster's processes */ cpuMs(): number; stop(): void };

/** A throwaway PostgreSQL via scripts/pg-cluster.sh, or undefined when the machine has none. */
export function startPostgres(port: number): Cluster | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), "parley-bench-pg-"));
  rmSync(dir, { recursive: true });
  const r = spawnSync("bash", ["scripts/pg-cluster.sh", "start", dir, String(port)], { encoding: "utf8" });
  if (r.status !== 0) {
    console.warn(`(no PostgreSQL for the benchmark: ${r.stderr.trim().split("\n").pop() ?? ""})`);
    return undefined;
  }
  const postmaster = () => Number(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url: r.stdout.trim().split("\n").pop() ?? "",
    cpuMs: () => {
      try {
        return treeCpuMs(postmaster());
      } catch {
        return NaN;
      }
    },
    stop: () => {
      spawnSync("bash", ["scripts/pg-cluster.sh", "stop", dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
