// lib/server/storage/s3-setup.ts (what `npm run s3:setup` puts on a bucket) and the settings it
// reads (parseStoreEnv). Against a real store: tests/integration/s3-rgw.test.ts.
import { describe, expect, it } from "vitest";

import { parseStoreEnv, SettingsError } from "@/lib/server/env";
import { browserOrigin, PARLEY_CORS_RULE_ID, parleyCorsRule, withParleyCors } from "@/lib/server/storage/s3-setup";

describe("Parley's CORS rule", () => {
  it("allows GET, PUT and HEAD from the origins, any header, and exposes what the page reads", () => {
    expect(parleyCorsRule(["https://clinic.example.org/", "http://127.0.0.1:3100", "https://clinic.example.org"])).toEqual({
      ID: PARLEY_CORS_RULE_ID,
      AllowedOrigins: ["https://clinic.example.org", "http://127.0.0.1:3100"],
      AllowedMethods: ["GET", "PUT", "HEAD"],
      AllowedHeaders: ["*"],
      ExposeHeaders: ["ETag", "Content-Length", "Content-Range"],
      MaxAgeSeconds: 3600,
    });
  });

  it.each(["clinic.example.org", "ftp://clinic.example.org", "https://clinic.example.org/app", "https://clinic.example.org/?a=1", "https://u:p@clinic.example.org"])(
    "refuses %s as an origin",
    (value) => {
      expect(() => browserOrigin(value)).toThrow();
    },
  );

  it("needs at least one origin", () => {
    expect(() => parleyCorsRule([])).toThrow(/no origin/);
  });

  it("replaces an earlier rule of Parley's and keeps every other rule", () => {
    const other = { ID: "cdn", AllowedOrigins: ["https://cdn.example.org"], AllowedMethods: ["GET"] };
    const unnamed = { AllowedOrigins: ["*"], AllowedMethods: ["HEAD"] };
    const ours = parleyCorsRule(["https://new.example.org"]);
    const before = [other, parleyCorsRule(["https://old.example.org"]), unnamed];
    expect(withParleyCors(before, ours)).toEqual([other, unnamed, ours]);
    expect(withParleyCors(withParleyCors(before, ours), ours)).toEqual([other, unnamed, ours]);
  });
});

describe("parseStoreEnv", () => {
  it("reads S3_* and PUBLIC_URL as the server does, and nothing else", () => {
    expect(
      parseStoreEnv({
        S3_ENDPOINT: "http://127.0.0.1:7480",
        S3_BUCKET: "b",
        S3_ACCESS_KEY_ID: "k",
        S3_SECRET_ACCESS_KEY: "s",
        PUBLIC_URL: "https://clinic.example.org/",
        DATABASE_URL: "not even a URL", // not its business
      }),
    ).toEqual({
      s3: { endpoint: "http://127.0.0.1:7480", region: "us-east-1", bucket: "b", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true },
      publicUrl: "https://clinic.example.org",
    });
    expect(parseStoreEnv({})).toEqual({ s3: undefined, publicUrl: undefined });
  });

  it("refuses what the server refuses", () => {
    expect(() => parseStoreEnv({ S3_BUCKET: "b" })).toThrow(SettingsError);
    expect(() => parseStoreEnv({ S3_ENDPOINT: "not a url" })).toThrow(/S3_ENDPOINT/);
  });
});
