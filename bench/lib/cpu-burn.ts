// Keeps CPUs busy while a benchmark case runs, to show how it holds up on a loaded machine (a CI
// runner running something else): `n` processes spinning at full speed, started here and ended
// here by PID.
import { spawn, type ChildProcess } from "node:child_process";

export type CpuBurn = { stop(): void };

export function burnCpus(n: number): CpuBurn {
  const spinners: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    spinners.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  }
  return {
    stop() {
      for (const p of spinners) if (p.pid !== undefined && p.exitCode === null) p.kill("SIGKILL");
    },
  };
}
