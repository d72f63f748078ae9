// The boot hook (instrumentation.ts) and the route handlers are separate bundles, each with its own
// copy of lib/server/storage: once the clean-up timer made the blob store from the boot hook's copy,
// the routes' `instanceof FsBlobStore` and `instanceof BlobError` failed, and the embedded default
// answered every document link with "This server keeps documents in S3". Two module copies here
// stand in for the two bundles.
import { describe, expect, it, vi } from "vitest";

async function freshCopy() {
  vi.resetModules();
  return import("@/lib/server/storage/fs-driver");
}

describe("BlobError across module copies", () => {
  it("is recognised by another copy of the module, where instanceof is not", async () => {
    const boot = await freshCopy();
    const routes = await freshCopy();
    expect(routes.BlobError).not.toBe(boot.BlobError);
    const err = new boot.BlobError(404, "no such object");
    expect(err instanceof routes.BlobError).toBe(false);
    expect(routes.BlobError.is(err)).toBe(true);
    expect(routes.BlobError.is(new Error("no such object"))).toBe(false);
    expect(routes.BlobError.is({ status: 404 })).toBe(false);
  });
});
