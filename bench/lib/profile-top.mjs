// Summarises a .cpuprofile for a quick look in a terminal: self time by package or file, self
// time by function, and inclusive time (the function anywhere on the stack) for functions whose
// name or file matches a filter.
//   node bench/lib/profile-top.mjs <file.cpuprofile> [N] [filter-regexp]
import { readFileSync } from "node:fs";

const [file, n = "40", filter] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const total = profile.samples.length;
const idle = profile.nodes.filter((x) => x.callFrame.functionName === "(idle)").reduce((a, x) => a + (counts.get(x.id) ?? 0), 0);
const where = (f) => (f.url || "(native)").replace(/^file:\/\/.*node_modules\//, "nm/").replace(/^file:\/\/\/work\/[^/]+\//, "");
const label = (f) => `${f.functionName || "(anon)"}  ${where(f)}:${f.lineNumber}`;
const byFn = new Map();
const byFile = new Map();
const incl = new Map();
const re = filter ? new RegExp(filter) : undefined;
for (const node of profile.nodes) {
  const c = counts.get(node.id) ?? 0;
  if (!c || node.callFrame.functionName === "(idle)") continue;
  const f = node.callFrame;
  const file = where(f);
  byFn.set(label(f), (byFn.get(label(f)) ?? 0) + c);
  const parts = file.split("/");
  const pkg = file.startsWith("nm/") ? parts.slice(0, parts[1]?.startsWith("@") ? 3 : 2).join("/") : file;
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + c);
  if (re) {
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id).callFrame);
      if (seen.has(l) || !re.test(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + c);
    }
  }
}
const busy = total - idle;
const show = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .forEach(([k, v]) => console.log(`${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`));
console.log(`samples: ${total}, busy ${busy} (${((100 * busy) / total).toFixed(0)}%); percentages of busy time`);
console.log("\n-- self, by package/file --");
show(byFile);
console.log("\n-- self, by function --");
show(byFn);
if (re) {
  console.log(`\n-- inclusive, functions matching /${filter}/ --`);
  show(incl);
}
