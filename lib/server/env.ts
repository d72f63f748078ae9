import "server-only";
// Parley's server settings, exactly as ../shared/TEST-CONTRACT.md names them, validated once per
// process with zod. Everything that reads the environment goes through getServerEnv().
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { iceTransportPolicySchema, type ClientSettings } from "@/lib/shared/settings";
import { staffMfa, type StaffMfa } from "@/lib/shared/factors";

const GiB = 1024 ** 3;

const boolString = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

const urlList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const empty = (v: unknown) => (v === "" ? undefined : v);

export const rawEnvSchema = z.object({
  PORT: z.preprocess(empty, z.coerce.number().int().min(1).max(65535).default(3000)),
  HOST: z.preprocess(empty, z.string().default("127.0.0.1")),
  PUBLIC_URL: z.preprocess(empty, z.url({ protocol: /^https?$/ }).optional()),
  DATA_DIR: z.preprocess(empty, z.string().default(".data")),
  DATABASE_URL: z.preprocess(
    empty,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
      .optional(),
  ),
  // A direct (unpooled) connection for what a transaction pooler cannot carry: migrations under a
  // session advisory lock, and LISTEN. Hosted PostgreSQL gives both URLs.
  DIRECT_DATABASE_URL: z.preprocess(
    empty,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
      .optional(),
  ),
  S3_ENDPOINT: z.preprocess(empty, z.url().optional()),
  S3_REGION: z.preprocess(empty, z.string().optional()),
  S3_BUCKET: z.preprocess(empty, z.string().optional()),
  S3_ACCESS_KEY_ID: z.preprocess(empty, z.string().optional()),
  S3_SECRET_ACCESS_KEY: z.preprocess(empty, z.string().optional()),
  S3_FORCE_PATH_STYLE: z.preprocess(empty, boolString.optional()),
  MAX_FILE_BYTES: z.preprocess(
    empty,
    z.coerce
      .number()
      .int()
      .positive()
      .default(2 * GiB),
  ),
  TURN_URLS: z.preprocess(empty, urlList),
  TURN_SECRET: z.preprocess(empty, z.string().min(16, "use at least 16 characters").optional()),
  STUN_URLS: z.preprocess(empty, urlList),
  ICE_TRANSPORT_POLICY: z.preprocess(empty, iceTransportPolicySchema.default("all")),
  AUTH_SECRET: z.preprocess(empty, z.string().min(32, "use at least 32 characters").optional()),
  SEED_DEMO: z.preprocess(empty, boolString.optional()),
  TRUST_ON_FIRST_USE: z.preprocess(empty, boolString.default(false)),
  RECORDS_KEY: z.preprocess(empty, z.enum(["on", "off"]).default("on")),
  TRUSTED_PROXIES: z.preprocess(empty, z.coerce.number().int().min(0).max(10).default(0)),
  DEMO_PASSWORD: z.preprocess(empty, z.string().min(8).default("parley-demo")),
  STAFF_MFA: z.preprocess(empty, staffMfa.optional()),
  IDLE_TIMEOUT_MINUTES: z.preprocess(empty, z.coerce.number().positive().max(720).default(15)),
  SMTP_URL: z.preprocess(
    empty,
    z
      .string()
      .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
      .optional(),
  ),
  SMTP_FROM: z.preprocess(empty, z.string().optional()),
  // Below the events route's maxDuration (300 s), with a margin: a serverless platform cuts a
  // response off at that limit, and a stream that ends itself first is resumed without a gap.
  // Off only where LISTEN cannot work (a database reachable through a transaction pooler alone):
  // then streams learn of other instances' events by their 2 s poll (docs/deploy/vercel.md).
  EVENTS_LISTEN: z.preprocess(empty, boolString.default(true)),
  // Read by lib/server/log.ts before anything else; listed here so a wrong value stops the start.
  LOG_FORMAT: z.preprocess(empty, z.enum(["json", "text"]).default("json")),
  LOG_LEVEL: z.preprocess(empty, z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info")),
  // The scheduler's key to /api/cron/cleanup (Vercel Cron sends it as a bearer token).
  CRON_SECRET: z.preprocess(empty, z.string().min(16, "use at least 16 characters").optional()),
  /** days after a consult ends that its chat and documents are kept; unset: kept until deleted */
  RETENTION_DAYS: z.preprocess(empty, z.coerce.number().int("a whole number of days").min(1).max(36_500).optional()),
  STREAM_MAX_SECONDS: z.preprocess(empty, z.coerce.number().min(1).max(290, "must stay below the events route's maxDuration of 300 s").default(250)),
});

export type ServerEnv = {
  port: number;
  host: string;
  publicUrl: string | undefined;
  dataDir: string;
  /** undefined: the embedded PGlite database in DATA_DIR */
  databaseUrl: string | undefined;
  /** migrations and LISTEN go here when set (DATABASE_URL then may be a pooled connection) */
  directDatabaseUrl: string | undefined;
  embedded: boolean;
  s3: { endpoint: string | undefined; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean } | undefined;
  maxFileBytes: number;
  turnUrls: string[];
  turnSecret: string | undefined;
  stunUrls: string[];
  iceTransportPolicy: "all" | "relay";
  /** the clinic lets chat and documents start before the call code is compared (PROTOCOL §3) */
  trustOnFirstUse: boolean;
  /** the clinic keeps a records key (PROTOCOL §7.4): an admin makes one, every consult key is sealed to it */
  recordsKey: boolean;
  /** proxies in front of the server that append to X-Forwarded-For (lib/server/net/client-address.ts) */
  trustedProxies: number;
  authSecret: string;
  /** the demo accounts with their published password: only on a loopback HOST */
  seedDemo: boolean;
  demoPassword: string;
  /** second factors for staff: off, optional, or required (then a sign-in without one leads to enrolling one) */
  staffMfa: StaffMfa;
  /** staff are signed out after this long without interaction, outside a call in progress */
  idleTimeoutMs: number;
  /** staff links are also mailed when set */
  smtp: { url: string; from: string } | undefined;
  /** an event stream ends itself after this long and the browser opens the next one at once */
  streamMaxMs: number;
  /** /api/cron/cleanup exists only with it */
  cronSecret: string | undefined;
  /** lib/server/retention.ts; undefined keeps records until a person deletes them */
  retentionDays: number | undefined;
  /** with a real PostgreSQL: LISTEN for other instances' events (else they arrive by polling) */
  eventsListen: boolean;
  /** on a serverless platform (VERCEL set): nothing runs between requests, so no timers of our own */
  serverless: boolean;
};

/** Whether HOST only accepts connections from this machine (the demo accounts' one safe place). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

export class SettingsError extends Error {}

function validate<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new SettingsError(`Invalid settings (see .env.example):\n${lines.join("\n")}`);
  }
  return parsed.data;
}

const storeEnvSchema = rawEnvSchema.pick({
  PUBLIC_URL: true,
  S3_ENDPOINT: true,
  S3_REGION: true,
  S3_BUCKET: true,
  S3_ACCESS_KEY_ID: true,
  S3_SECRET_ACCESS_KEY: true,
  S3_FORCE_PATH_STYLE: true,
});

const trimPublicUrl = (url: string | undefined) => url?.replace(/\/+$/, "");

/** ServerEnv's `s3` from validated S3_* values: all of bucket and keys, or none. */
function s3Settings(e: z.infer<typeof storeEnvSchema>): ServerEnv["s3"] {
  const s3Fields = [e.S3_BUCKET, e.S3_ACCESS_KEY_ID, e.S3_SECRET_ACCESS_KEY];
  if (s3Fields.some((v) => v !== undefined) && s3Fields.some((v) => v === undefined)) {
    throw new SettingsError("Invalid settings: S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together");
  }
  return e.S3_BUCKET && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
    ? {
        endpoint: e.S3_ENDPOINT,
        region: e.S3_REGION ?? "us-east-1",
        bucket: e.S3_BUCKET,
        accessKeyId: e.S3_ACCESS_KEY_ID,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY,
        forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
      }
    : undefined;
}

/**
 * Only the object-store settings and PUBLIC_URL, validated as the server does (scripts/s3-bucket.ts):
 * no other setting is needed and nothing is written.
 */
export function parseStoreEnv(source: Record<string, string | undefined>): Pick<ServerEnv, "s3" | "publicUrl"> {
  const e = validate(storeEnvSchema, source);
  return { s3: s3Settings(e), publicUrl: trimPublicUrl(e.PUBLIC_URL) };
}

/** Parses an environment; pure apart from reading or creating DATA_DIR/auth-secret on the embedded default. */
export function parseServerEnv(source: Record<string, string | undefined>): ServerEnv {
  const e = validate(rawEnvSchema, source);
  const dataDir = path.resolve(e.DATA_DIR);
  const embedded = e.DATABASE_URL === undefined;

  const s3 = s3Settings(e);
  if (e.TURN_URLS.length > 0 && !e.TURN_SECRET) {
    throw new SettingsError("Invalid settings: TURN_URLS needs TURN_SECRET (TURN REST credentials are minted from it)");
  }
  if (e.ICE_TRANSPORT_POLICY === "relay" && e.TURN_URLS.length === 0) {
    throw new SettingsError("Invalid settings: ICE_TRANSPORT_POLICY=relay needs TURN_URLS");
  }

  if (e.DIRECT_DATABASE_URL && !e.DATABASE_URL) {
    throw new SettingsError("Invalid settings: DIRECT_DATABASE_URL needs DATABASE_URL (the pooled connection the app queries through)");
  }

  let authSecret = e.AUTH_SECRET;
  if (!authSecret) {
    if (!embedded) {
      throw new SettingsError("Invalid settings: AUTH_SECRET is required when DATABASE_URL is set (e.g. `openssl rand -base64 48`)");
    }
    authSecret = localSecret(dataDir, "auth-secret");
  }

  // A serverless platform runs many short-lived copies with a throwaway disk: an embedded database
  // or a filesystem store there would give each copy its own data, silently.
  if (source.VERCEL) {
    const missing = [embedded ? "DATABASE_URL (a hosted PostgreSQL)" : "", s3 ? "" : "S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (an S3 or R2 bucket)"].filter(Boolean);
    if (missing.length > 0) {
      throw new SettingsError(`Invalid settings: on Vercel the embedded database and the filesystem store would lose data between requests. Set ${missing.join(" and ")} (see docs/deploy).`);
    }
  }

  const loopback = isLoopbackHost(e.HOST);
  if (e.SEED_DEMO === true && !loopback) {
    throw new SettingsError(
      `Invalid settings: SEED_DEMO=true creates accounts with a published password, so it is refused on HOST=${e.HOST}, which other machines can reach. Use HOST=127.0.0.1 to try Parley, or unset SEED_DEMO and create the first admin from the setup link that the start prints.`,
    );
  }

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: trimPublicUrl(e.PUBLIC_URL),
    dataDir,
    databaseUrl: e.DATABASE_URL,
    directDatabaseUrl: e.DIRECT_DATABASE_URL,
    embedded,
    s3,
    maxFileBytes: e.MAX_FILE_BYTES,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    stunUrls: e.STUN_URLS,
    iceTransportPolicy: e.ICE_TRANSPORT_POLICY,
    trustOnFirstUse: e.TRUST_ON_FIRST_USE,
    recordsKey: e.RECORDS_KEY === "on",
    trustedProxies: e.TRUSTED_PROXIES,
    authSecret,
    seedDemo: e.SEED_DEMO ?? (embedded && loopback),
    demoPassword: e.DEMO_PASSWORD,
    staffMfa: e.STAFF_MFA ?? (embedded && loopback ? "optional" : "required"),
    idleTimeoutMs: Math.round(e.IDLE_TIMEOUT_MINUTES * 60_000),
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM ?? "Parley <parley@localhost>" } : undefined,
    streamMaxMs: Math.round(e.STREAM_MAX_SECONDS * 1000),
    cronSecret: e.CRON_SECRET,
    retentionDays: e.RETENTION_DAYS,
    eventsListen: e.EVENTS_LISTEN,
    serverless: Boolean(source.VERCEL),
  };
}

/** Settings that work but will disappoint someone: printed at start. */
export function settingsWarnings(env: ServerEnv): string[] {
  const warnings: string[] = [];
  if (env.stunUrls.length === 0 && env.turnUrls.length === 0) {
    warnings.push("No STUN or TURN server is set (STUN_URLS, TURN_URLS): calls work on one network, but a call between two home networks or through a strict firewall will not connect.");
  }
  if (!isLoopbackHost(env.host) && !env.publicUrl) {
    warnings.push(`HOST=${env.host} is reachable from other machines but PUBLIC_URL is unset: set it to the https address people use, or links and passkeys will point at the wrong place.`);
  }
  return warnings;
}

/** A secret generated once into DATA_DIR (mode 0600) on the embedded default. */
function localSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString("base64url");
    try {
      writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      return readFileSync(file, "utf8").trim(); // another process wrote it first
    }
  }
}

const g = globalThis as { __parleyEnv?: ServerEnv };

export function getServerEnv(): ServerEnv {
  g.__parleyEnv ??= parseServerEnv(process.env);
  return g.__parleyEnv;
}

export function clientSettings(env: ServerEnv = getServerEnv()): ClientSettings {
  return {
    stunUrls: env.stunUrls,
    turnEnabled: env.turnUrls.length > 0,
    iceTransportPolicy: env.iceTransportPolicy,
    maxFileBytes: env.maxFileBytes,
    trustOnFirstUse: env.trustOnFirstUse,
    idleTimeoutMs: env.idleTimeoutMs,
  };
}
