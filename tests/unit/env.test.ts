// lib/server/env.ts: the settings of TEST-CONTRACT.md, their defaults, and the refusals.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { clientSettings, getServerEnv, parseServerEnv, SettingsError, settingsWarnings } from "@/lib/server/env";

const SECRET = "s".repeat(32);
const PG = "postgresql://parley@127.0.0.1:5432/parley";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "parley-env-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An embedded-default environment in a throwaway DATA_DIR, plus `extra`. */
const embedded = (extra: Record<string, string | undefined> = {}) => ({ DATA_DIR: dir, ...extra });
/** A real-PostgreSQL environment, plus `extra`. */
const server = (extra: Record<string, string | undefined> = {}) => ({ DATA_DIR: dir, DATABASE_URL: PG, AUTH_SECRET: SECRET, ...extra });

function settingsError(source: Record<string, string | undefined>): SettingsError {
  try {
    parseServerEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error("expected a SettingsError");
}

describe("defaults (TEST-CONTRACT)", () => {
  it("fills every default on the embedded default", () => {
    const env = parseServerEnv(embedded());
    expect(env.port).toBe(3000);
    expect(env.host).toBe("127.0.0.1");
    expect(env.publicUrl).toBeUndefined();
    expect(env.databaseUrl).toBeUndefined();
    expect(env.embedded).toBe(true);
    expect(env.s3).toBeUndefined();
    expect(env.maxFileBytes).toBe(2 * 1024 ** 3);
    expect(env.turnUrls).toEqual([]);
    expect(env.turnSecret).toBeUndefined();
    expect(env.stunUrls).toEqual([]);
    expect(env.iceTransportPolicy).toBe("all");
    expect(env.seedDemo).toBe(true);
    expect(env.demoPassword).toBe("parley-demo");
    expect(env.idleTimeoutMs).toBe(15 * 60_000);
    expect(env.smtp).toBeUndefined();
    expect(env.staffMfa).toBe("optional");
    // Event streams end themselves before a serverless platform's 300 s limit.
    expect(env.streamMaxMs).toBe(250_000);
  });

  it("DATA_DIR defaults to .data, resolved against the working directory", () => {
    // Uses the cwd's .data only when AUTH_SECRET is given (else it would create .data/auth-secret here).
    const env = parseServerEnv({ DATABASE_URL: PG, AUTH_SECRET: SECRET });
    expect(env.dataDir).toBe(path.resolve(".data"));
  });

  it("treats empty strings as unset", () => {
    const env = parseServerEnv(embedded({ PORT: "", HOST: "", MAX_FILE_BYTES: "", ICE_TRANSPORT_POLICY: "", DEMO_PASSWORD: "", SEED_DEMO: "", DATABASE_URL: "" }));
    expect(env.port).toBe(3000);
    expect(env.host).toBe("127.0.0.1");
    expect(env.maxFileBytes).toBe(2 * 1024 ** 3);
    expect(env.iceTransportPolicy).toBe("all");
    expect(env.demoPassword).toBe("parley-demo");
    expect(env.embedded).toBe(true);
    expect(env.seedDemo).toBe(true);
  });

  it("SEED_DEMO defaults to false with a real PostgreSQL, and can be set either way", () => {
    expect(parseServerEnv(server()).seedDemo).toBe(false);
    expect(parseServerEnv(server()).embedded).toBe(false);
    expect(parseServerEnv(server({ SEED_DEMO: "true" })).seedDemo).toBe(true);
    expect(parseServerEnv(embedded({ SEED_DEMO: "false" })).seedDemo).toBe(false);
    expect(parseServerEnv(embedded({ SEED_DEMO: "0" })).seedDemo).toBe(false);
    expect(parseServerEnv(server({ SEED_DEMO: "yes" })).seedDemo).toBe(true);
  });

  it("STAFF_MFA is optional on the embedded default on a loopback HOST, required anywhere else", () => {
    expect(parseServerEnv(embedded({ HOST: "0.0.0.0" })).staffMfa).toBe("required");
    expect(parseServerEnv(server()).staffMfa).toBe("required");
    expect(parseServerEnv(server({ STAFF_MFA: "optional" })).staffMfa).toBe("optional");
    expect(parseServerEnv(embedded({ STAFF_MFA: "off" })).staffMfa).toBe("off");
    expect(settingsError(embedded({ STAFF_MFA: "sometimes" })).message).toContain("STAFF_MFA");
  });

  it("on Vercel, refuses the embedded database and the filesystem store, naming what to set", () => {
    expect(settingsError(embedded({ VERCEL: "1" })).message).toMatch(/DATABASE_URL.*S3_BUCKET/s);
    expect(settingsError(server({ VERCEL: "1" })).message).not.toContain("DATABASE_URL");
    const s3 = { S3_BUCKET: "b", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" };
    expect(parseServerEnv(server({ VERCEL: "1", ...s3 })).embedded).toBe(false);
  });

  it("knows a serverless platform by VERCEL (no timers of its own there)", () => {
    const s3 = { S3_BUCKET: "b", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" };
    expect(parseServerEnv(server({ VERCEL: "1", ...s3 })).serverless).toBe(true);
    expect(parseServerEnv(server(s3)).serverless).toBe(false);
    expect(parseServerEnv(embedded()).serverless).toBe(false);
  });

  it("warns when calls between networks cannot connect, or links would point at the wrong place", () => {
    expect(settingsWarnings(parseServerEnv(embedded())).join(" ")).toContain("No STUN or TURN");
    expect(settingsWarnings(parseServerEnv(embedded({ STUN_URLS: "stun:stun.example.org:3478" })))).toEqual([]);
    expect(settingsWarnings(parseServerEnv(embedded({ HOST: "0.0.0.0", STUN_URLS: "stun:s.example:3478" }))).join(" ")).toContain("PUBLIC_URL");
  });

  it("seeds the demo accounts only on a loopback HOST, and refuses SEED_DEMO=true on any other", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"]) {
      expect(parseServerEnv(embedded({ HOST: host })).seedDemo, host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "parley.clinic.example", "127.0.0.1.nip.io"]) {
      expect(parseServerEnv(embedded({ HOST: host })).seedDemo, host).toBe(false);
      expect(settingsError(embedded({ HOST: host, SEED_DEMO: "true" })).message, host).toContain("published password");
    }
  });
});

describe("explicit values", () => {
  it("reads every setting", () => {
    const env = parseServerEnv(
      server({
        PORT: "8080",
        HOST: "0.0.0.0",
        PUBLIC_URL: "https://parley.example.org/",
        MAX_FILE_BYTES: "1048576",
        TURN_URLS: "turn:a.example:3478, turns:b.example:5349 ,",
        TURN_SECRET: "t".repeat(16),
        STUN_URLS: "stun:s.example:3478",
        ICE_TRANSPORT_POLICY: "relay",
        DEMO_PASSWORD: "another-password",
        TRUST_ON_FIRST_USE: "true",
        IDLE_TIMEOUT_MINUTES: "0.5",
        SMTP_URL: "smtp://user:pw@mail.example.org:587",
        SMTP_FROM: "Clinic <parley@example.org>",
        STREAM_MAX_SECONDS: "5",
      }),
    );
    expect(env.port).toBe(8080);
    expect(env.streamMaxMs).toBe(5_000);
    expect(env.idleTimeoutMs).toBe(30_000);
    expect(env.smtp).toEqual({ url: "smtp://user:pw@mail.example.org:587", from: "Clinic <parley@example.org>" });
    expect(env.host).toBe("0.0.0.0");
    expect(env.publicUrl).toBe("https://parley.example.org"); // trailing slash dropped
    expect(env.databaseUrl).toBe(PG);
    expect(env.maxFileBytes).toBe(1048576);
    expect(env.turnUrls).toEqual(["turn:a.example:3478", "turns:b.example:5349"]);
    expect(env.stunUrls).toEqual(["stun:s.example:3478"]);
    expect(env.iceTransportPolicy).toBe("relay");
    expect(env.authSecret).toBe(SECRET);
    expect(env.demoPassword).toBe("another-password");
    expect(clientSettings(env)).toEqual({
      stunUrls: ["stun:s.example:3478"],
      turnEnabled: true,
      iceTransportPolicy: "relay",
      maxFileBytes: 1048576,
      trustOnFirstUse: true,
      idleTimeoutMs: 30_000,
    });
    // Chat waits for the compared call code unless the clinic says otherwise.
    expect(parseServerEnv(server({})).trustOnFirstUse).toBe(false);
  });

  it("DIRECT_DATABASE_URL: read beside DATABASE_URL, refused without it", () => {
    const direct = "postgresql://parley@db.internal:5432/parley";
    expect(parseServerEnv(server({ DIRECT_DATABASE_URL: direct })).directDatabaseUrl).toBe(direct);
    expect(parseServerEnv(server({})).directDatabaseUrl).toBeUndefined();
    expect(settingsError(embedded({ DIRECT_DATABASE_URL: direct })).message).toContain("DIRECT_DATABASE_URL needs DATABASE_URL");
  });

  it("configures S3 only when bucket and both keys are given", () => {
    const env = parseServerEnv(server({ S3_BUCKET: "b", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s", S3_ENDPOINT: "http://127.0.0.1:9000" }));
    expect(env.s3).toEqual({ endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket: "b", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true });
    expect(settingsError(server({ S3_BUCKET: "b" })).message).toMatch(/S3_BUCKET/);
  });
});

describe("AUTH_SECRET", () => {
  it("is required when DATABASE_URL is set", () => {
    expect(settingsError({ DATA_DIR: dir, DATABASE_URL: PG }).message).toMatch(/AUTH_SECRET/);
  });

  it("is generated into DATA_DIR on the embedded default, mode 0600, stable across calls", () => {
    const dataDir = path.join(dir, "nested", "data"); // created as needed
    const first = parseServerEnv({ DATA_DIR: dataDir });
    expect(first.authSecret.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, "auth-secret");
    expect(readFileSync(file, "utf8").trim()).toBe(first.authSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseServerEnv({ DATA_DIR: dataDir }).authSecret).toBe(first.authSecret);
  });

  it("a given AUTH_SECRET wins and writes nothing", () => {
    const env = parseServerEnv(embedded({ AUTH_SECRET: SECRET }));
    expect(env.authSecret).toBe(SECRET);
    expect(() => statSync(path.join(dir, "auth-secret"))).toThrow();
  });

  it("refuses a short AUTH_SECRET, naming it", () => {
    expect(settingsError(server({ AUTH_SECRET: "short" })).message).toMatch(/AUTH_SECRET/);
  });
});

describe("invalid values name the variable", () => {
  it.each([
    ["PORT", "not-a-port"],
    ["PORT", "0"],
    ["PORT", "70000"],
    ["PORT", "80.5"],
    ["MAX_FILE_BYTES", "-1"],
    ["MAX_FILE_BYTES", "lots"],
    ["ICE_TRANSPORT_POLICY", "sometimes"],
    ["DATABASE_URL", "mysql://x@y/z"],
    ["PUBLIC_URL", "not a url"],
    ["PUBLIC_URL", "ftp://files.example.org"],
    ["SEED_DEMO", "maybe"],
    ["IDLE_TIMEOUT_MINUTES", "0"],
    ["IDLE_TIMEOUT_MINUTES", "never"],
    ["SMTP_URL", "mail.example.org"],
    ["S3_FORCE_PATH_STYLE", "perhaps"],
    ["TURN_SECRET", "short"],
    ["DEMO_PASSWORD", "short"],
    ["STREAM_MAX_SECONDS", "0"],
    ["STREAM_MAX_SECONDS", "300"],
  ])("%s=%s", (name, value) => {
    const err = settingsError(embedded({ [name]: value }));
    expect(err.message).toContain(name);
  });
});

describe("ICE settings that cannot work are refused", () => {
  it("TURN_URLS without TURN_SECRET", () => {
    const err = settingsError(embedded({ TURN_URLS: "turn:t.example:3478" }));
    expect(err.message).toMatch(/TURN_URLS/);
    expect(err.message).toMatch(/TURN_SECRET/);
  });

  it("relay without TURN", () => {
    const err = settingsError(embedded({ ICE_TRANSPORT_POLICY: "relay" }));
    expect(err.message).toMatch(/relay/);
    expect(err.message).toMatch(/TURN_URLS/);
  });

  it("relay with TURN is fine", () => {
    const env = parseServerEnv(embedded({ ICE_TRANSPORT_POLICY: "relay", TURN_URLS: "turn:t.example:3478", TURN_SECRET: "t".repeat(16) }));
    expect(env.iceTransportPolicy).toBe("relay");
    expect(clientSettings(env).turnEnabled).toBe(true);
  });
});

describe("getServerEnv", () => {
  const g = globalThis as { __parleyEnv?: unknown };
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    delete g.__parleyEnv;
  });

  it("parses process.env once and caches it", () => {
    delete g.__parleyEnv;
    process.env = { ...saved, DATA_DIR: dir, AUTH_SECRET: SECRET, PORT: "4321" };
    delete process.env.DATABASE_URL;
    const env = getServerEnv();
    expect(env.port).toBe(4321);
    process.env.PORT = "1234";
    expect(getServerEnv()).toBe(env);
  });
});
