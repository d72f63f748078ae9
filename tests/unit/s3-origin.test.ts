// lib/server/storage/s3-origin.ts: the origin the page's CSP must allow for the S3 store is the
// origin of the URLs Parley actually presigns. Checked two ways: readable expectations for the
// stores of README's table, and agreement with @aws-sdk/client-s3 itself (through makeS3Client,
// as the server signs) over every combination of endpoint, region, bucket name and path style.
// Signing is local: no store is contacted.
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";

import { s3BrowserOrigin, type S3Addressing } from "@/lib/server/storage/s3-origin";
import { makeS3Client } from "../support/s3";

const at = (s: Partial<S3Addressing>): S3Addressing => ({ endpoint: undefined, region: "us-east-1", bucket: "parley-docs", forcePathStyle: false, ...s });

describe("s3BrowserOrigin", () => {
  it.each([
    ["Ceph RGW / MinIO, path style", at({ endpoint: "https://rgw.example.org/", forcePathStyle: true }), "https://rgw.example.org"],
    ["the test store (RGW on loopback)", at({ endpoint: "http://127.0.0.1:57480", forcePathStyle: true }), "http://127.0.0.1:57480"],
    ["Cloudflare R2", at({ endpoint: "https://acc.r2.cloudflarestorage.com", region: "auto", forcePathStyle: true }), "https://acc.r2.cloudflarestorage.com"],
    ["an endpoint, virtual-hosted", at({ endpoint: "https://minio.example.org:9000" }), "https://parley-docs.minio.example.org:9000"],
    ["an IP endpoint is always path style", at({ endpoint: "http://10.0.0.5:7480" }), "http://10.0.0.5:7480"],
    ["AWS, virtual-hosted", at({ region: "eu-central-1" }), "https://parley-docs.s3.eu-central-1.amazonaws.com"],
    ["AWS, path style", at({ region: "eu-central-1", forcePathStyle: true }), "https://s3.eu-central-1.amazonaws.com"],
    ["AWS, a dotted bucket falls back to path style", at({ bucket: "docs.clinic.example" }), "https://s3.us-east-1.amazonaws.com"],
    ["AWS China", at({ region: "cn-north-1" }), "https://parley-docs.s3.cn-north-1.amazonaws.com.cn"],
  ])("%s", (_name, s, origin) => {
    expect(s3BrowserOrigin(s)).toBe(origin);
  });

  it("agrees with the origin of the URLs the SDK presigns, in every combination", async () => {
    const endpoints = [undefined, "http://127.0.0.1:7480", "https://rgw.example.org", "http://rgw.example.org:8080", "https://minio.example.org:9000/", "http://localhost:9000", "https://[::1]:9000"];
    const regions = ["us-east-1", "eu-central-1", "cn-north-1", "auto"];
    const buckets = ["parley-docs", "my.dotted.bucket", "Upper", "ab", "a--b", "192.168.1.1", "x".repeat(63), "-dash"];
    let checked = 0;
    for (const endpoint of endpoints)
      for (const region of regions)
        for (const bucket of buckets)
          for (const forcePathStyle of [true, false]) {
            const s = { endpoint, region, bucket, forcePathStyle };
            const client = makeS3Client({ ...s, accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });
            const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: "k" }), { expiresIn: 60 });
            expect(s3BrowserOrigin(s), JSON.stringify(s)).toBe(new URL(url).origin);
            checked++;
          }
    expect(checked).toBe(endpoints.length * regions.length * buckets.length * 2);
  });
});
