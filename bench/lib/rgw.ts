// A throwaway Ceph RGW (scripts/rgw.sh: a real S3 store on 127.0.0.1, objects in RAM) for the
// benchmarks that need S3, with the bucket made ready for browsers: created, and a CORS rule that
// lets the app's origin PUT parts and GET/HEAD objects and read their ETag (what `npm run s3:setup`
// does for a clinic's bucket). Stopped by PID through the same script.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";

export type Rgw = {
  /** S3_* settings for the app server */
  env: Record<string, string>;
  /** the store's origin, which pages PUT and GET through presigned URLs */
  origin: string;
  /** makes RGW free the space of deleted objects now (memstore keeps them in RAM until its garbage collector runs, by default hours later) */
  collectGarbage(): void;
  stop(): void;
};

const BUCKET = "parley-bench";

/** Starts RGW on `port` and prepares the bucket for `origins`; undefined (with a note) when Ceph is not installed. */
export async function startRgw(port: number, origins: string[]): Promise<Rgw | undefined> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "parley-bench-rgw-"));
  const r = spawnSync("bash", ["scripts/rgw.sh", "start", dir, String(port)], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    console.warn(`(no Ceph RGW for the benchmark: ${r.stderr.trim().split("\n").slice(0, 2).join(" ")})`);
    return undefined;
  }
  const stop = () => {
    spawnSync("bash", ["scripts/rgw.sh", "stop", dir], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };
  const env: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^(S3_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
  }
  env.S3_BUCKET = BUCKET;
  env.S3_FORCE_PATH_STYLE = "true";
  const client = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    credentials: { accessKeyId: env.S3_ACCESS_KEY_ID ?? "", secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? "" },
    forcePathStyle: true,
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(
      new PutBucketCorsCommand({
        Bucket: BUCKET,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: origins, AllowedMethods: ["GET", "PUT", "HEAD"], AllowedHeaders: ["*"], ExposeHeaders: ["ETag", "Content-Length", "Content-Range"], MaxAgeSeconds: 3600 }],
        },
      }),
    );
  } catch (err) {
    stop();
    throw err;
  } finally {
    client.destroy();
  }
  return {
    env,
    origin: new URL(env.S3_ENDPOINT ?? "").origin,
    collectGarbage: () => {
      spawnSync("radosgw-admin", ["-c", path.join(dir, "ceph.conf"), "gc", "process", "--include-all"], { stdio: "ignore" });
    },
    stop,
  };
}
