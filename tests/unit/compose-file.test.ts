// deploy/compose.yaml and deploy/make-env.sh agree, and what the stack hands Parley is a valid
// Parley configuration: every ${VAR} the compose file needs is one make-env.sh writes, the
// settings the services share (database password, store key and bucket, TURN secret) are the same
// on both sides, coturn relays only to public addresses, and parseServerEnv accepts Parley's
// environment as compose gives it. (The stack itself needs images from a registry, which the CI
// machine cannot reach: docs/deploy/container.md says what is and is not run.)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { parseServerEnv } from "@/lib/server/env";

const DOMAIN = "parley.clinic.example";
const envFile = execFileSync("sh", ["deploy/make-env.sh", DOMAIN, "it@clinic.example"], { encoding: "utf8" });
const vars = Object.fromEntries(
  envFile
    .split("\n")
    .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const source = readFileSync("deploy/compose.yaml", "utf8");

/** Compose's interpolation (of values, after parsing): ${NAME}, ${NAME:?message}, ${NAME:-default}. */
function interpolate(text: string): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    const value = vars[name];
    if (value !== undefined && value !== "") return value;
    if (op === "-") return arg ?? "";
    throw new Error(`compose.yaml needs ${name}, which make-env.sh does not write`);
  });
}

type Service = { image?: string; network_mode?: string; read_only?: boolean; command?: string[]; environment?: Record<string, string> };
function interpolateAll(value: unknown): unknown {
  if (typeof value === "string") return interpolate(value);
  if (Array.isArray(value)) return value.map(interpolateAll);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [interpolate(k), interpolateAll(v)]));
  return value;
}
const compose = interpolateAll(parse(source)) as { services: Record<string, Service> };
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
const env = (name: string) => svc(name).environment ?? {};

it("make-env.sh writes fresh secrets in the formats the services take", () => {
  expect(vars.PARLEY_DOMAIN).toBe(DOMAIN);
  expect(vars.S3_ACCESS_KEY_ID).toMatch(/^GK[0-9a-f]{24}$/); // Garage's key id
  expect(vars.S3_SECRET_ACCESS_KEY).toMatch(/^[0-9a-f]{64}$/);
  expect(vars.GARAGE_RPC_SECRET).toMatch(/^[0-9a-f]{64}$/);
  expect(vars.AUTH_SECRET?.length).toBeGreaterThanOrEqual(64);
  const again = execFileSync("sh", ["deploy/make-env.sh", DOMAIN, "it@clinic.example"], { encoding: "utf8" });
  expect(again).not.toBe(envFile);
});

it("the services share one database password, one store key and bucket, one TURN secret", () => {
  expect(Object.keys(compose.services).sort()).toEqual(["caddy", "coturn", "garage", "parley", "postgres", "s3-setup"]);
  const parley = env("parley");
  expect(parley.DATABASE_URL).toBe(`postgresql://parley:${env("postgres").POSTGRES_PASSWORD}@postgres:5432/parley`);
  expect(parley.S3_ACCESS_KEY_ID).toBe(env("garage").GARAGE_DEFAULT_ACCESS_KEY);
  expect(parley.S3_SECRET_ACCESS_KEY).toBe(env("garage").GARAGE_DEFAULT_SECRET_KEY);
  expect(parley.S3_BUCKET).toBe(env("garage").GARAGE_DEFAULT_BUCKET);
  for (const k of ["S3_ENDPOINT", "S3_REGION", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "PUBLIC_URL"]) expect(env("s3-setup")[k]).toBe(parley[k]);
  expect(svc("coturn").command).toContain(`--static-auth-secret=${parley.TURN_SECRET}`);
  expect(svc("parley").read_only).toBe(true);
  expect(svc("s3-setup").command).toEqual(["node", "s3-setup.mjs"]);
});

it("Parley accepts its environment as compose gives it: PostgreSQL, the store, TURN, one proxy", () => {
  const settings = parseServerEnv({ ...env("parley"), HOST: "0.0.0.0", DATA_DIR: "/data" });
  expect(settings.embedded).toBe(false);
  expect(settings.publicUrl).toBe(`https://${DOMAIN}`);
  expect(settings.s3).toMatchObject({ endpoint: `https://files.${DOMAIN}`, bucket: "parley", forcePathStyle: true });
  expect(settings.turnUrls).toHaveLength(2);
  expect(settings.trustedProxies).toBe(1);
  expect(settings.staffMfa).toBe("required");
  expect(settings.seedDemo).toBe(false);
});

it("coturn runs on the host's network and relays to no private, loopback or link-local address", () => {
  expect(svc("coturn").network_mode).toBe("host");
  const denied = (svc("coturn").command ?? []).filter((a) => a.startsWith("--denied-peer-ip=")).map((a) => a.slice("--denied-peer-ip=".length));
  for (const range of [
    "10.0.0.0-10.255.255.255",
    "172.16.0.0-172.31.255.255",
    "192.168.0.0-192.168.255.255",
    "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255",
    "100.64.0.0-100.127.255.255",
    "::1",
  ]) {
    expect(denied).toContain(range);
  }
  expect(svc("coturn").command).toContain("--no-multicast-peers");
});

it("Caddy serves both names the browsers open", () => {
  const caddyfile = readFileSync("deploy/Caddyfile", "utf8");
  expect(caddyfile).toMatch(/^\{\$PARLEY_DOMAIN\} \{[\s\S]*reverse_proxy parley:3000/m);
  expect(caddyfile).toMatch(/^files\.\{\$PARLEY_DOMAIN\} \{[\s\S]*reverse_proxy garage:3900/m);
});
