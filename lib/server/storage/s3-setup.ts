// What a bucket needs before browsers can use Parley's presigned URLs straight from the page
// (scripts/s3-bucket.ts, `npm run s3:setup`): the bucket itself, and a CORS rule for Parley's
// origins — PUT of upload parts, GET (with Range) and HEAD of objects, any request header, and the
// response headers the page must read: ETag (each part's, to complete a multipart upload),
// Content-Length and Content-Range. Idempotent: Parley's rule is found by its ID and replaced;
// the bucket's other CORS rules are kept as they are.
import { CreateBucketCommand, GetBucketCorsCommand, HeadBucketCommand, PutBucketCorsCommand, type CORSRule, type S3Client } from "@aws-sdk/client-s3";

export const PARLEY_CORS_RULE_ID = "parley-browser-transfers";

/** "https://clinic.example.org/" → "https://clinic.example.org"; anything but an http(s) origin is refused. */
export function browserOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`not a URL: ${value}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`not an http(s) origin: ${value}`);
  if (url.pathname !== "/" || url.search || url.hash || url.username) throw new Error(`an origin has no path, query or credentials: ${value}`);
  return url.origin;
}

export function parleyCorsRule(origins: string[]): CORSRule {
  if (origins.length === 0) throw new Error("no origin to allow");
  return {
    ID: PARLEY_CORS_RULE_ID,
    AllowedOrigins: [...new Set(origins.map(browserOrigin))],
    AllowedMethods: ["GET", "PUT", "HEAD"],
    AllowedHeaders: ["*"],
    ExposeHeaders: ["ETag", "Content-Length", "Content-Range"],
    MaxAgeSeconds: 3600,
  };
}

/** The bucket's CORS rules with Parley's rule (re)placed last, every other rule kept. */
export function withParleyCors(existing: CORSRule[], ours: CORSRule): CORSRule[] {
  return [...existing.filter((r) => r.ID !== PARLEY_CORS_RULE_ID), ours];
}

const httpStatus = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

async function corsRules(client: S3Client, bucket: string): Promise<CORSRule[]> {
  try {
    return (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchCORSConfiguration" || httpStatus(err) === 404) return [];
    throw err;
  }
}

export type BucketSetup = { created: boolean; rules: CORSRule[] };

/** Creates the bucket when it does not exist, then puts Parley's CORS rule; answers the rules as the store now has them. */
export async function setUpBucket(client: S3Client, bucket: string, origins: string[]): Promise<BucketSetup> {
  const ours = parleyCorsRule(origins); // a bad origin is refused before anything changes
  let created = false;
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    created = true;
  }
  const rules = withParleyCors(await corsRules(client, bucket), ours);
  await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
  return { created, rules: await corsRules(client, bucket) };
}
