// Preloaded into the server's Node processes when BENCH_CPU_PROF=<dir> is set (Node 20 refuses
// --cpu-prof in NODE_OPTIONS): samples the CPU from start to exit and writes <dir>/<pid>.cpuprofile,
// which Chrome DevTools or `node bench/lib/profile-top.mjs` read.
import inspector from "node:inspector";
import { writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.BENCH_CPU_PROF;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-thread session answers synchronously, so this works inside an `exit` handler.
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on("exit", write);
}
