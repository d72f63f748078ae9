// End-to-end tests: Chromium only, against three production servers that Playwright starts with
// `npm start` (which migrates, seeds and builds when stale):
//   pg        http://127.0.0.1:3100  real PostgreSQL from TEST_DATABASE_URL, documents in S3 from
//                                    TEST_S3_*, its log kept in <data>/server.log (e2e/*.spec.ts)
//   embedded  http://127.0.0.1:3101  the zero-set-up default: fresh DATA_DIR, embedded database and
//                                    filesystem store, whatever S3_* is around, event streams ending
//                                    every 5 s (STREAM_MAX_SECONDS=5) (e2e/*.embedded.spec.ts)
//   tofu      http://127.0.0.1:3102  the same PostgreSQL and S3 store, with TRUST_ON_FIRST_USE=true
//                                    (e2e/*.tofu.spec.ts)
//   relay     http://127.0.0.1:3103  the same PostgreSQL, calls only through the test coturn
//                                    (TEST_TURN_*, ICE_TRANSPORT_POLICY=relay; e2e/*.relay.spec.ts)
//   staff     http://127.0.0.1:3104  a clinic's first run: embedded default with SEED_DEMO=false, its
//                                    log kept in <data>/server.log for the setup link (e2e/*.staff.spec.ts)
//   idle      http://127.0.0.1:3105  embedded default with IDLE_TIMEOUT_MINUTES=0.25 (e2e/*.idle.spec.ts)
//   mfa       http://localhost:3106  a clinic that requires second factors (STAFF_MFA=required) behind one
//                                    proxy (TRUSTED_PROXIES=1: the specs send X-Forwarded-For) (e2e/*.mfa.spec.ts)
//   container     http://127.0.0.1:3107  the container image (Dockerfile) that scripts/test.sh built
//                                        (TEST_CONTAINER_IMAGE), alone with a /data volume
//   container-pg  http://127.0.0.1:3108  the same image on the test PostgreSQL and Ceph RGW
//                                        (e2e/*.container.spec.ts on both)
// The staff and mfa servers are reached as localhost: passkeys need a domain (WebAuthn refuses an IP
// address as the relying party), and localhost is a secure context like 127.0.0.1.
// The servers on PostgreSQL run with STAFF_MFA=optional (the default there is required): their
// specs sign staff in with a password alone.
// `npm test` runs this inside scripts/netns.sh with a throwaway PostgreSQL and Ceph RGW, and first
// prepares the RGW bucket (`npm run s3:setup`: CORS for the pg and tofu origins). By hand:
//   TEST_DATABASE_URL=postgresql://… [TEST_S3_ENDPOINT=… TEST_S3_BUCKET=… …] bash scripts/netns.sh npx playwright test
// Without TEST_DATABASE_URL only the embedded project runs; without TEST_S3_ENDPOINT the pg and tofu
// servers keep documents on the filesystem too. PW_TRACE=1 keeps traces of failures.
import { defineConfig, type PlaywrightTestConfig } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "./e2e/support/chromium";
import { E2E_CRON_SECRET } from "./e2e/support/server-settings";

const PG_PORT = 3100;
const EMBEDDED_PORT = 3101;
const TOFU_PORT = 3102;
const RELAY_PORT = 3103;
const STAFF_PORT = 3104;
const IDLE_PORT = 3105;
const MFA_PORT = 3106;
const CONTAINER_PORT = 3107;
const CONTAINER_PG_PORT = 3108;
const turnUrls = process.env.TEST_TURN_URLS;
const databaseUrl = process.env.TEST_DATABASE_URL;
// Each `npm test` run keeps its servers' data in its own run folder, so runs never share state.
const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";

// Fixed, test-only secret: these servers only ever hold throwaway data.
const AUTH_SECRET = "parley-e2e-test-secret-not-for-production-0123456789";

// The object-store settings (lib/server/env.ts). Every server gets them blank ("" counts as unset),
// so a developer's own S3_* never reaches a test server; the pg and tofu servers get the test
// store's (TEST_S3_X → S3_X) when there is one.
const S3_NAMES = ["S3_ENDPOINT", "S3_REGION", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_FORCE_PATH_STYLE"];
const noS3 = Object.fromEntries(S3_NAMES.map((n) => [n, ""]));
const testS3 = process.env.TEST_S3_ENDPOINT ? Object.fromEntries(S3_NAMES.map((n) => [n, process.env[`TEST_${n}`] ?? ""])) : noS3;

type WebServer = Extract<NonNullable<PlaywrightTestConfig["webServer"]>, unknown[]>[number];
const server = (name: string, port: number, dataDir: string, env: Record<string, string>, opts: { log?: boolean; host?: string } = {}): WebServer => ({
  name,
  // Fresh data every run. Without a DATABASE_URL of its own, `env -u` keeps a developer's away.
  // With `log`, the output is also kept in <dataDir>/server.log for the specs to read.
  // (Into the file alone, not through `| tee`: tee dies first at the end, and a server logging its
  // shutdown into a pipe nobody reads would wait on it.)
  command: `rm -rf ${dataDir} && ${opts.log ? `mkdir -p ${dataDir} && ` : ""}${env.DATABASE_URL ? "" : "env -u DATABASE_URL "}npm start${opts.log ? ` >${dataDir}/server.log 2>&1` : ""}`,
  url: `http://127.0.0.1:${port}/sign-in`,
  timeout: 240_000, // the first start builds the app
  reuseExistingServer: false,
  gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
  stdout: "pipe",
  stderr: "pipe",
  env: {
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    DATA_DIR: dataDir,
    NEXT_TELEMETRY_DISABLED: "1",
    // One line per request would bury the test output; the staff server logs all (its setup link).
    LOG_LEVEL: opts.log ? "info" : "warn",
    ...noS3,
    ...env,
  },
});

// Playwright starts web servers one after another, each once the previous one answers, so only
// the first `npm start` builds; the second finds the build up to date.
const webServer: WebServer[] = [];
if (databaseUrl) {
  webServer.push(
    // Its log is kept (<data>/server.log): the stolen-server scans read it too.
    server(
      "postgres",
      PG_PORT,
      `${dataRoot}/app-pg`,
      {
        STAFF_MFA: "optional",
        DATABASE_URL: databaseUrl,
        AUTH_SECRET,
        SEED_DEMO: "true",
        CRON_SECRET: E2E_CRON_SECRET,
        ...testS3,
      },
      { log: true },
    ),
    // A clinic that allows trust on first use: a second instance on the same database and store.
    server("tofu", TOFU_PORT, `${dataRoot}/app-tofu`, { STAFF_MFA: "optional", DATABASE_URL: databaseUrl, AUTH_SECRET, TRUST_ON_FIRST_USE: "true", ...testS3 }),
  );
  if (turnUrls) {
    // A clinic behind a strict firewall: every call relayed by TURN (scripts/turn.sh).
    webServer.push(
      server("relay", RELAY_PORT, `${dataRoot}/app-relay`, {
        STAFF_MFA: "optional",
        DATABASE_URL: databaseUrl,
        AUTH_SECRET,
        TURN_URLS: turnUrls,
        TURN_SECRET: process.env.TEST_TURN_SECRET ?? "",
        ICE_TRANSPORT_POLICY: "relay",
      }),
    );
  } else {
    console.warn("playwright: TEST_TURN_URLS is unset (no coturn), so the relay-only call tests do not run");
  }
  if (!process.env.TEST_S3_ENDPOINT) {
    console.warn("playwright: TEST_S3_ENDPOINT is unset, so the pg and tofu servers keep documents on the filesystem and e2e/s3-store.spec.ts is skipped");
  }
} else {
  console.warn("playwright: TEST_DATABASE_URL is unset, so only the embedded project runs");
}
// Its event streams end every 5 s (a serverless platform's limit, shortened): every embedded spec
// runs across many planned reconnects, and e2e/stream-limit.embedded.spec.ts checks they are unseen.
webServer.push(server("embedded", EMBEDDED_PORT, `${dataRoot}/app-embedded`, { STREAM_MAX_SECONDS: "5" }));
// A clinic's first run, on the embedded default with nothing seeded.
const STAFF_DATA_DIR = `${dataRoot}/app-staff`;
webServer.push(server("staff", STAFF_PORT, STAFF_DATA_DIR, { SEED_DEMO: "false" }, { log: true, host: "localhost" }));
// Automatic logoff, with the timeout shortened to 15 s.
webServer.push(server("idle", IDLE_PORT, `${dataRoot}/app-idle`, { IDLE_TIMEOUT_MINUTES: "0.25" }));
webServer.push(server("mfa", MFA_PORT, `${dataRoot}/app-mfa`, { STAFF_MFA: "required", TRUSTED_PROXIES: "1" }, { host: "localhost" }));

// The image runs in podman on this network namespace's loopback (--network=host), its root file
// system read-only, its data in a fresh volume; scripts/container.sh stops and removes it when
// Playwright ends the command.
const containerImage = process.env.TEST_CONTAINER_IMAGE;
const containerServer = (name: string, port: number, env: Record<string, string>): WebServer => ({
  ...server(name, port, `${dataRoot}/app-${name}`, { SEED_DEMO: "true", ...env }),
  command: `bash scripts/container.sh serve ${containerImage} parley-e2e-${name}`,
  timeout: 120_000,
  gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
});
if (containerImage) {
  webServer.push(containerServer("container", CONTAINER_PORT, {}));
  if (databaseUrl && process.env.TEST_S3_ENDPOINT) {
    webServer.push(containerServer("container-pg", CONTAINER_PG_PORT, { STAFF_MFA: "optional", DATABASE_URL: databaseUrl, AUTH_SECRET, ...testS3 }));
  }
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1, // two servers and two-party video calls on two cores
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // scripts/test.sh asks for a JSON copy of the results to count them.
  reporter: process.env.PARLEY_PW_JSON ? [["list"], ["json", { outputFile: process.env.PARLEY_PW_JSON }]] : "list",
  use: {
    browserName: "chromium",
    trace: process.env.PW_TRACE ? "retain-on-failure" : "off",
    permissions: ["camera", "microphone"],
    launchOptions: { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS },
  },
  projects: [
    ...(databaseUrl
      ? [
          { name: "pg", testIgnore: /\.(embedded|tofu|relay|staff|idle|mfa|container)\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${PG_PORT}` } },
          { name: "tofu", testMatch: /\.tofu\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${TOFU_PORT}` } },
          ...(turnUrls ? [{ name: "relay", testMatch: /\.relay\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${RELAY_PORT}` } }] : []),
        ]
      : []),
    { name: "embedded", testMatch: /\.embedded\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${EMBEDDED_PORT}` } },
    { name: "staff", testMatch: /\.staff\.spec\.ts$/, use: { baseURL: `http://localhost:${STAFF_PORT}` } },
    { name: "mfa", testMatch: /\.mfa\.spec\.ts$/, use: { baseURL: `http://localhost:${MFA_PORT}` } },
    { name: "idle", testMatch: /\.idle\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${IDLE_PORT}` } },
    ...(containerImage
      ? [
          { name: "container", testMatch: /\.container\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${CONTAINER_PORT}` } },
          ...(databaseUrl && process.env.TEST_S3_ENDPOINT ? [{ name: "container-pg", testMatch: /\.container\.spec\.ts$/, use: { baseURL: `http://127.0.0.1:${CONTAINER_PG_PORT}` } }] : []),
        ]
      : []),
  ],
  webServer,
});
