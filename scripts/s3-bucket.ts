// `npm run s3:setup [-- <origin> ...]`: makes the bucket of S3_* ready for Parley's browsers, on any
// S3-compatible store: creates the bucket when it does not exist and puts a CORS rule that lets the
// given origins (default: PUBLIC_URL) PUT upload parts and GET/HEAD objects through presigned URLs
// and read ETag, Content-Length and Content-Range (lib/server/storage/s3-setup.ts). Safe to run
// again: Parley's rule is replaced, the bucket's other CORS rules are kept. Reads only S3_* and
// PUBLIC_URL, validated as the server does. `npm test` runs it before the end-to-end tests.
import { parseStoreEnv, SettingsError } from "../lib/server/env";
import { makeS3Client } from "../lib/server/storage/s3-client";
import { s3BrowserOrigin } from "../lib/server/storage/s3-origin";
import { browserOrigin, setUpBucket } from "../lib/server/storage/s3-setup";

function fail(message: string): never {
  console.error(`s3:setup: ${message}`);
  process.exit(1);
}

let store;
try {
  store = parseStoreEnv(process.env);
} catch (err) {
  if (err instanceof SettingsError) fail(err.message);
  throw err;
}
const { s3, publicUrl } = store;
if (!s3) fail("S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are not set: without them Parley keeps documents under DATA_DIR and needs no bucket");
const given = process.argv.length > 2 ? process.argv.slice(2) : publicUrl ? [publicUrl] : [];
const origins = given.map((o) => {
  try {
    return browserOrigin(o);
  } catch (err) {
    fail((err as Error).message);
  }
});
if (origins.length === 0) fail("name the origins browsers open Parley at: set PUBLIC_URL, or pass them as arguments (npm run s3:setup -- https://parley.example.org)");

const client = makeS3Client(s3);
try {
  const { created, rules } = await setUpBucket(client, s3.bucket, origins);
  console.log(`s3:setup: bucket ${s3.bucket} at ${s3BrowserOrigin(s3)} ${created ? "created" : "exists"}; its CORS rules now:`);
  for (const r of rules) {
    console.log(
      `  ${r.ID ?? "(no id)"}: ${r.AllowedMethods?.join(", ")} from ${r.AllowedOrigins?.join(", ")}; headers ${r.AllowedHeaders?.join(", ")}; exposes ${r.ExposeHeaders?.join(", ") ?? "nothing"}`,
    );
  }
} catch (err) {
  fail(`${s3.bucket}: ${(err as Error).name}: ${(err as Error).message}`);
} finally {
  client.destroy();
}
