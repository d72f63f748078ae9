// `node --import ./scripts/lib/client-ip-preload.mjs …`: every HTTP(S) server in the process sets
// x-parley-client-ip from the socket and TRUSTED_PROXIES (client-ip.ts). scripts/start.ts and
// scripts/dev.ts start the Next server with it. tsx is registered only while client-ip.ts loads, so
// Next's own modules load exactly as they would without this file.
import { createRequire } from "node:module";
import { register } from "tsx/cjs/api";

const unregister = register();
try {
  const { installClientIp, trustedHopsFrom } = createRequire(import.meta.url)("./client-ip.ts");
  installClientIp(trustedHopsFrom(process.env.TRUSTED_PROXIES));
} catch (err) {
  console.error(`[parley] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
} finally {
  unregister();
}
