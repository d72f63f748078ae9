// Starts the sealing worker. Kept alone so the bundler sees the literal \`new Worker(new URL(…))\`
// it needs to bundle seal-worker.ts as a worker entry.
export function startSealWorker(): Worker {
  return new Worker(new URL("./seal-worker.ts", import.meta.url), { type: "module" });
}
