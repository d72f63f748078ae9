// Runs in the browser before the app's own code (Next.js `instrumentation-client`).
//
// Parley's pages forbid eval in their Content-Security-Policy. Zod probes for eval (`new
// Function("")`) when it builds its first object schema, to pick a compiled fast path; it catches
// the error, but the browser still reports a CSP violation for every page load, noise in the
// console and in any CSP report endpoint (and e2e/s3-store.spec.ts, which waits for the violation
// it provokes, sometimes got zod's first). Zod reads its settings from this global when it loads:
// set here, it never probes and parses without the fast path (the browser parses little).
const zodConfig = globalThis as { __zod_globalConfig?: Record<string, unknown> };
zodConfig.__zod_globalConfig = { ...zodConfig.__zod_globalConfig, jitless: true };
