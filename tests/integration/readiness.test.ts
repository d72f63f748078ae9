// /api/ready's check (lib/server/readiness.ts) against real parts: ready with the real database and
// each real store (the filesystem, and Ceph RGW when the test stack has it); not ready, saying
// which, when the store's bucket is missing, when nothing listens at the store's address, or when
// nothing listens at the database's.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { PrismaPg } from "@prisma/adapter-pg";
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";

import { PrismaClient } from "@/lib/server/db/generated/client";
import { FsBlobStore } from "@/lib/server/storage/fs-driver";
import { S3BlobStore } from "@/lib/server/storage/s3-driver";
import { checkReadiness } from "@/lib/server/readiness";

import { describeBackends, setupDatabase, setupTestEnv } from "../support/db";
import { makeS3Client, testS3Settings } from "../support/s3";
import { unusedLoopbackPort } from "../support/ports";

setupTestEnv();

const s3 = testS3Settings();

const fsStore = () => new FsBlobStore(mkdtempSync(path.join(tmpdir(), "parley-ready-")), Buffer.alloc(32, 1));

describeBackends("readiness", (kind) => {
  const t = setupDatabase(kind);

  it("is ready with the database and the filesystem store", async () => {
    expect(await checkReadiness(t.db, fsStore())).toEqual({ ready: true, database: "ok", store: "ok" });
  });

  it("is not ready, and says the store, when nothing listens at the store's address", async () => {
    const dead = new S3BlobStore(makeS3Client({ endpoint: `http://127.0.0.1:${await unusedLoopbackPort()}`, region: "us-east-1", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true }), "b");
    const r = await checkReadiness(t.db, dead, 2_000);
    expect(r.ready).toBe(false);
    expect(r.database).toBe("ok");
    expect(r.store).toMatch(/^s3 store unreachable/);
  });

  it.skipIf(!s3)("with the real S3 store (Ceph RGW): ready when the bucket is there, not ready when it is gone", async () => {
    if (!s3) return;
    const client = makeS3Client(s3);
    const bucket = `parley-ready-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3BlobStore(makeS3Client(s3), bucket);
    expect(await checkReadiness(t.db, store)).toEqual({ ready: true, database: "ok", store: "ok" });
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    expect((await checkReadiness(t.db, store)).store).toMatch(/^s3 store unreachable/);
    client.destroy();
  });
});

it("is not ready, and says the database, when nothing listens at the database's address", async () => {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: `postgresql://parley@127.0.0.1:${await unusedLoopbackPort()}/parley`, connectionTimeoutMillis: 1_000 }) });
  try {
    const r = await checkReadiness(db, fsStore(), 2_000);
    expect(r.ready).toBe(false);
    expect(r.database).toMatch(/^unreachable/);
    expect(r.store).toBe("ok");
  } finally {
    await db.$disconnect();
  }
});
