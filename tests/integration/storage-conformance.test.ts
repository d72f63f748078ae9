// One conformance suite for every object-store driver (lib/server/storage): what the documents
// flow relies on, driven as a browser would — through the presigned URLs. The filesystem driver of
// the embedded default, and the S3 driver against Ceph RGW (scripts/rgw.sh, started by
// scripts/test.sh and passed in as TEST_S3_*; skipped, saying so, where Ceph is not installed).
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testS3Settings } from "../support/s3";
import { fsStoreHarness, s3StoreHarness, type StoreHarness as Harness } from "../support/blob-stores";

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const bytes = (n: number) => Uint8Array.from(randomBytes(n));

function conformance(name: string, make: () => Promise<Harness>, skip?: string) {
  (skip ? describe.skip : describe)(skip ? `object store: ${name} — SKIPPED: ${skip}` : `object store: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => {
      await h.close();
    });

    async function upload(key: string, parts: Uint8Array<ArrayBuffer>[]) {
      const uploadId = await h.store.createMultipart(key);
      const done = [];
      for (const [i, body] of parts.entries()) {
        const res = await h.fetch(await h.store.presignPart(key, uploadId, i + 1, 60), { method: "PUT", body });
        expect(res.status, await res.clone().text()).toBe(200);
        const etag = res.headers.get("etag") ?? "";
        expect(etag.replace(/"/g, "")).toBe(md5(body));
        done.push({ partNumber: i + 1, etag });
      }
      return { uploadId, parts: done };
    }

    it("multipart upload, complete, size, and the same bytes back", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const parts = [bytes(5 * MiB), bytes(123_457)];
      const { uploadId, parts: done } = await upload(key, parts);
      await h.store.completeMultipart(key, uploadId, done);
      expect(await h.store.size(key)).toBe(5 * MiB + 123_457);
      const res = await h.fetch(await h.store.presignGet(key, 60));
      expect(res.status).toBe(200);
      expect(md5(new Uint8Array(await res.arrayBuffer()))).toBe(md5(Buffer.concat(parts)));
    });

    it("ranged GET answers 206 with exactly the range", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const body = bytes(300_000);
      const { uploadId, parts } = await upload(key, [body]);
      await h.store.completeMultipart(key, uploadId, parts);
      const url = await h.store.presignGet(key, 60);
      for (const [range, from, to] of [
        ["bytes=0-99", 0, 99],
        ["bytes=299990-", 299_990, 299_999],
        ["bytes=-10", 299_990, 299_999],
        ["bytes=1000-1999", 1000, 1999],
      ] as const) {
        const res = await h.fetch(url, { headers: { range } });
        expect(res.status, range).toBe(206);
        expect(res.headers.get("content-range")).toBe(`bytes ${from}-${to}/300000`);
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body.subarray(from, to + 1)))).toBe(true);
      }
    });

    it("abort drops the upload: its parts can no longer be completed, and no object appears", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const { uploadId, parts } = await upload(key, [bytes(1000)]);
      await h.store.abortMultipart(key, uploadId);
      await expect(h.store.completeMultipart(key, uploadId, parts)).rejects.toThrow();
      expect(await h.store.size(key)).toBeUndefined();
    });

    it("a part that differs from its ETag, or is missing, is refused at completion", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const { uploadId, parts } = await upload(key, [bytes(1000)]);
      await expect(h.store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: `"${md5(bytes(10))}"` }])).rejects.toThrow();
      await expect(h.store.completeMultipart(key, uploadId, [...parts, { partNumber: 2, etag: parts[0]?.etag ?? "" }])).rejects.toThrow();
    });

    it("a tampered URL is refused (403) and stores or reveals nothing", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const { uploadId, parts } = await upload(key, [bytes(2000)]);
      await h.store.completeMultipart(key, uploadId, parts);
      const get = await h.store.presignGet(key, 60);
      const flip = (url: string) => {
        const i = url.length - 5;
        return url.slice(0, i) + (url[i] === "A" ? "B" : "A") + url.slice(i + 1);
      };
      expect((await h.fetch(flip(get))).status).toBe(403);
      const otherKey = `t/${randomBytes(8).toString("hex")}`;
      const second = await h.store.createMultipart(otherKey);
      const put = await h.store.presignPart(otherKey, second, 1, 60);
      expect((await h.fetch(flip(put), { method: "PUT", body: bytes(10) })).status).toBe(403);
    });

    it("an expired URL is refused (403)", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const { uploadId, parts } = await upload(key, [bytes(2000)]);
      await h.store.completeMultipart(key, uploadId, parts);
      const get = await h.store.presignGet(key, 1);
      const second = await h.store.createMultipart(`${key}-2`);
      const put = await h.store.presignPart(`${key}-2`, second, 1, 1);
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await h.fetch(get)).status).toBe(403);
      expect((await h.fetch(put, { method: "PUT", body: bytes(10) })).status).toBe(403);
    });

    it("delete removes the object", async () => {
      const key = `t/${randomBytes(8).toString("hex")}`;
      const { uploadId, parts } = await upload(key, [bytes(10)]);
      await h.store.completeMultipart(key, uploadId, parts);
      await h.store.delete(key);
      expect(await h.store.size(key)).toBeUndefined();
    });
  });
}

conformance("filesystem (the embedded default)", () => fsStoreHarness("conformance-test-secret-0123456789abcdef"));

const s3 = testS3Settings();
conformance(
  "S3 (Ceph RGW)",
  async () => {
    const h = await s3StoreHarness("conformance");
    if (!h) throw new Error("unreachable");
    return h;
  },
  s3 ? undefined : "TEST_S3_ENDPOINT is not set (scripts/test.sh starts Ceph RGW when radosgw, ceph-mon and ceph-osd are installed)",
);
