// What the documents feature needs of the browser and the S3 store, proven in real Chromium on a
// real app page (/sign-in, with its Content-Security-Policy) against the store the pg server uses:
// Ceph RGW, started by scripts/test.sh and prepared by `npm run s3:setup` (bucket + CORS).
//   - the page's CSP connect-src names the store's origin, and is enforced (another origin is blocked);
//   - the page PUTs multipart upload parts to presigned UploadPart URLs (cross-origin: CORS
//     preflight) and reads each part's ETag, which the test then completes the upload with;
//   - the page GETs the object through a presigned URL with a Range header: 206, the right bytes,
//     and a Content-Range it can read.
// The test process presigns with the server's own client settings (makeS3Client, from TEST_S3_*).
// Skipped, saying why, only where Ceph is not installed (no TEST_S3_ENDPOINT); never under CI.
import { createHash, randomUUID } from "node:crypto";
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, UploadPartCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { expect, test, type Page } from "@playwright/test";
import { makeS3Client, testS3Settings } from "../tests/support/s3";

const settings = testS3Settings();
const bucket = process.env.TEST_S3_BUCKET ?? "";
const MiB = 1024 * 1024;
/** S3's smallest part but the last: the page uploads one such part and a short tail. */
const PART_SIZES = [5 * MiB, 12_345];

test.skip(!settings && !process.env.CI, "TEST_S3_ENDPOINT is not set: scripts/test.sh starts Ceph RGW when radosgw, ceph-mon and ceph-osd are installed (see scripts/rgw.sh)");

let s3: S3Client;
test.beforeAll(() => {
  if (!settings || !bucket) throw new Error("CI=true but TEST_S3_ENDPOINT / TEST_S3_BUCKET are unset: the S3 end-to-end tests must run in CI");
  s3 = makeS3Client(settings);
});
test.afterAll(() => s3?.destroy());

const storeOrigin = () => new URL(settings!.endpoint).origin;

async function openSignIn(page: Page) {
  const response = await page.goto("/sign-in");
  expect(response?.status()).toBe(200);
  return response!;
}

test("the page's CSP lets it connect to the S3 store, and to no other origin", async ({ page }) => {
  const response = await openSignIn(page);
  const csp = response.headers()["content-security-policy"] ?? "";
  const connectSrc = csp
    .split(";")
    .map((d) => d.trim().split(/\s+/))
    .find(([name]) => name === "connect-src");
  expect(connectSrc, csp).toEqual(["connect-src", "'self'", storeOrigin()]);

  // The policy is enforced: the same store under another name (another origin) is blocked.
  const other = new URL(settings!.endpoint);
  other.hostname = "localhost";
  const blocked = await page.evaluate(async (url) => {
    const violation = new Promise<string>((resolve) => document.addEventListener("securitypolicyviolation", (e) => resolve(`${e.effectiveDirective} ${e.blockedURI}`), { once: true }));
    const outcome = await fetch(url).then(
      () => "answered",
      () => "refused",
    );
    const late = new Promise<string>((resolve) => setTimeout(() => resolve("no violation reported"), 5_000));
    return { outcome, violation: await Promise.race([violation, late]) };
  }, other.origin + "/");
  expect(blocked).toEqual({ outcome: "refused", violation: `connect-src ${other.origin}/` });
});

test("the page uploads multipart parts to presigned URLs, reads their ETags, and GETs a range of the object", async ({ page }) => {
  await openSignIn(page);
  const key = `e2e/s3-store/${randomUUID()}`;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/octet-stream" }));
  let completed = false;
  try {
    const partUrls = await Promise.all(PART_SIZES.map((_, i) => getSignedUrl(s3, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1 }), { expiresIn: 300 })));
    for (const url of partUrls) expect(new URL(url).origin).toBe(storeOrigin());

    // In the page: random parts (kept on window for the range check below), each PUT as a Blob
    // (browsers stream request bodies only over HTTP/2), and what the page can read of each answer.
    const uploaded = await page.evaluate(
      async ({ urls, sizes }) => {
        const parts = sizes.map((n) => {
          const b = new Uint8Array(n);
          for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65_536)));
          return b;
        });
        const whole = new Uint8Array(sizes.reduce((a, n) => a + n, 0));
        let at = 0;
        for (const p of parts) {
          whole.set(p, at);
          at += p.length;
        }
        (window as unknown as { __object: Uint8Array }).__object = whole;
        const answers = [];
        for (const [i, url] of urls.entries()) {
          const res = await fetch(url, { method: "PUT", body: new Blob([parts[i]!]) });
          answers.push({ status: res.status, etag: res.headers.get("etag") });
        }
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", whole));
        return { answers, sha256: Array.from(digest, (x) => x.toString(16).padStart(2, "0")).join("") };
      },
      { urls: partUrls, sizes: PART_SIZES },
    );
    for (const a of uploaded.answers) {
      expect(a.status).toBe(200);
      expect(a.etag, "the bucket's CORS must expose ETag").toMatch(/^"?[0-9a-f]{32}"?$/);
    }

    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: uploaded.answers.map((a, i) => ({ PartNumber: i + 1, ETag: a.etag! })) },
      }),
    );
    completed = true;
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await stored.Body!.transformToByteArray();
    expect(bytes.length).toBe(PART_SIZES[0]! + PART_SIZES[1]!);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(uploaded.sha256);

    // A range across the boundary of the two parts, through a presigned GET, from the page.
    const first = PART_SIZES[0]! - 8;
    const last = PART_SIZES[0]! + 7;
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
    const ranged = await page.evaluate(
      async ({ url, first, last }) => {
        const res = await fetch(url, { headers: { Range: `bytes=${first}-${last}` } });
        const got = new Uint8Array(await res.arrayBuffer());
        const want = (window as unknown as { __object: Uint8Array }).__object.subarray(first, last + 1);
        return {
          status: res.status,
          contentRange: res.headers.get("content-range"),
          contentLength: res.headers.get("content-length"),
          got: Array.from(got),
          want: Array.from(want),
        };
      },
      { url: getUrl, first, last },
    );
    expect(ranged.status).toBe(206);
    expect(ranged.contentRange).toBe(`bytes ${first}-${last}/${bytes.length}`);
    expect(ranged.contentLength).toBe("16");
    expect(ranged.got).toEqual(ranged.want);
    expect(ranged.got).toEqual(Array.from(bytes.subarray(first, last + 1)));
  } finally {
    if (!completed) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
});
