// Presigned upload URLs must carry no checksum parameter (MACHINE-NOTES, "AWS SDK v3 checksum
// trap"): the browser uploads bytes the server never saw, so a checksum signed into the URL (the
// SDK's default is the CRC32 of an empty body) makes real S3, R2 and MinIO reject the upload.
// Signing is local: no store is contacted.
import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";

import { makeS3Client } from "../support/s3";

const client = makeS3Client({
  endpoint: "http://127.0.0.1:9",
  region: "us-east-1",
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  forcePathStyle: true,
});

const checksumParams = (url: string) => [...new URL(url).searchParams.keys()].filter((k) => /^x-amz-(sdk-)?checksum/i.test(k));

describe("presigned S3 URLs", () => {
  it("PutObject: no x-amz-checksum / x-amz-sdk-checksum parameter, path style", async () => {
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: "b", Key: "k/obj" }), { expiresIn: 60 });
    expect(checksumParams(url)).toEqual([]);
    expect(new URL(url).pathname).toBe("/b/k/obj");
    expect(new URL(url).searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("UploadPart: no x-amz-checksum / x-amz-sdk-checksum parameter", async () => {
    const url = await getSignedUrl(client, new UploadPartCommand({ Bucket: "b", Key: "k/obj", UploadId: "upload-1", PartNumber: 3 }), { expiresIn: 60 });
    expect(checksumParams(url)).toEqual([]);
    expect(new URL(url).searchParams.get("partNumber")).toBe("3");
  });

  it("GetObject: no checksum mode parameter", async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: "b", Key: "k/obj" }), { expiresIn: 60 });
    expect(checksumParams(url)).toEqual([]);
    expect([...new URL(url).searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
  });

  it("the trap is real: the SDK's default client does sign a checksum into PutObject", async () => {
    const { S3Client } = await import("@aws-sdk/client-s3");
    const defaults = new S3Client({
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      forcePathStyle: true,
    });
    const url = await getSignedUrl(defaults, new PutObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn: 60 });
    expect(checksumParams(url).length).toBeGreaterThan(0);
  });
});
