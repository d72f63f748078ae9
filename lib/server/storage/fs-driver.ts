import "server-only";
// The embedded default's object store: files under DATA_DIR/blobs, with the S3 contract a browser
// relies on — presigned (HMAC-signed, expiring) URLs to PUT parts and to GET with Range — served
// same-origin by app/api/blobs/[token]. So a one-server clinic install works for remote browsers.
//   objects/<key>                 finished objects
//   uploads/<uploadId>/meta.json  {key} of an unfinished multipart upload
//   uploads/<uploadId>/<n>        its part n (written to a temporary name, then renamed)
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, constants, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { once } from "node:events";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { signBlobToken, verifyBlobToken, type BlobClaims } from "./signed-url";
import { MAX_PARTS, type BlobStore, type UploadedPart } from "./types";

/** A part larger than this is refused while it streams in (S3 allows 5 GiB; the app sends 8–64 MiB). */
export const MAX_PART_BYTES = 256 * 1024 * 1024;

const BLOB_ERROR = Symbol.for("parley/BlobError");

export class BlobError extends Error {
  readonly [BLOB_ERROR] = true;

  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 416,
    message: string,
  ) {
    super(message);
  }

  /**
   * `instanceof` across bundles: the boot hook (instrumentation) and the route handlers each load
   * their own copy of this module, and the store made by one throws the other's class.
   */
  static is(err: unknown): err is BlobError {
    return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BLOB_ERROR] === true;
  }
}

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const UPLOAD_ID = /^[A-Za-z0-9_-]{22}$/;

export class FsBlobStore implements BlobStore {
  readonly kind = "filesystem" as const;

  constructor(
    private readonly root: string,
    private readonly urlKey: Buffer,
    /** where app/api/blobs is served: "/api/blobs" (same origin) */
    private readonly basePath = "/api/blobs",
    private readonly now: () => number = Date.now,
  ) {}

  private objectPath(key: string): string {
    if (!KEY.test(key) || key.length > 200) throw new BlobError(400, "bad object key");
    return path.join(this.root, "objects", ...key.split("/"));
  }

  private uploadDir(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new BlobError(404, "no such upload");
    return path.join(this.root, "uploads", uploadId);
  }

  private async uploadKey(uploadId: string): Promise<string> {
    try {
      return (JSON.parse(await readFile(path.join(this.uploadDir(uploadId), "meta.json"), "utf8")) as { key: string }).key;
    } catch {
      throw new BlobError(404, "no such upload");
    }
  }

  private url(claims: Omit<BlobClaims, "exp">, expiresIn: number): string {
    return `${this.basePath}/${signBlobToken(this.urlKey, { ...claims, exp: Math.floor(this.now() / 1000) + expiresIn })}`;
  }

  /** The objects folder exists (or can be made) and this process may write to it. */
  async probe(): Promise<void> {
    const objects = path.join(this.root, "objects");
    await mkdir(objects, { recursive: true });
    await access(objects, constants.W_OK);
  }

  async createMultipart(key: string): Promise<string> {
    this.objectPath(key);
    const uploadId = randomBytes(16).toString("base64url");
    await mkdir(this.uploadDir(uploadId), { recursive: true });
    await writeFile(path.join(this.uploadDir(uploadId), "meta.json"), JSON.stringify({ key }));
    return uploadId;
  }

  presignPart(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) throw new BlobError(400, "bad part number");
    return Promise.resolve(this.url({ op: "put-part", key, uploadId, part: partNumber }, expiresIn));
  }

  presignGet(key: string, expiresIn: number): Promise<string> {
    this.objectPath(key);
    return Promise.resolve(this.url({ op: "get", key }, expiresIn));
  }

  async completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    if ((await this.uploadKey(uploadId)) !== key) throw new BlobError(404, "no such upload");
    if (parts.length === 0) throw new BlobError(400, "no parts");
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (sorted.some((p, i) => i > 0 && p.partNumber === sorted[i - 1]?.partNumber)) throw new BlobError(400, "a part is listed twice");
    const dir = this.uploadDir(uploadId);
    for (const p of sorted) {
      const etag = await this.etagOf(path.join(dir, String(p.partNumber)));
      if (!etag || etag !== p.etag.replace(/"/g, "")) throw new BlobError(400, `part ${p.partNumber} is missing or differs from its ETag`);
    }
    const target = this.objectPath(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const out = createWriteStream(tmp);
    try {
      for (const p of sorted) {
        for await (const chunk of createReadStream(path.join(dir, String(p.partNumber)))) {
          if (!out.write(chunk)) await once(out, "drain");
        }
      }
      out.end();
      await finished(out);
    } catch (err) {
      out.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, target);
    await rm(dir, { recursive: true, force: true });
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    if ((await this.uploadKey(uploadId)) !== key) throw new BlobError(404, "no such upload");
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.objectPath(key))).size;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.objectPath(key), { force: true });
  }

  private async etagOf(file: string): Promise<string | undefined> {
    try {
      return (await readFile(`${file}.etag`, "utf8")).trim();
    } catch {
      return undefined;
    }
  }

  // ---- what app/api/blobs/[token] serves ----

  /** PUT of one part through its presigned URL: streams the body to disk; answers its ETag. */
  async putPart(token: string, body: ReadableStream<Uint8Array> | null): Promise<Response> {
    const c = this.check(token, "put-part");
    if ((await this.uploadKey(c.uploadId ?? "")) !== c.key) throw new BlobError(404, "no such upload");
    if (!body) throw new BlobError(400, "no body");
    const file = path.join(this.uploadDir(c.uploadId ?? ""), String(c.part));
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    const md5 = createHash("md5");
    let n = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        n += chunk.length;
        if (n > MAX_PART_BYTES) return done(new BlobError(413, `a part may be at most ${MAX_PART_BYTES} bytes`));
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(body as NodeWebReadableStream<Uint8Array>), count, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw BlobError.is(err) ? err : new BlobError(400, "the upload was cut off");
    }
    const etag = md5.digest("hex");
    await writeFile(`${file}.etag`, etag);
    await rename(tmp, file);
    return new Response(null, { status: 200, headers: { etag: `"${etag}"` } });
  }

  /** GET of an object through its presigned URL, with `Range: bytes=a-b | a- | -n` answered 206. */
  async get(token: string, range: string | null): Promise<Response> {
    const c = this.check(token, "get");
    const file = this.objectPath(c.key);
    let total: number;
    try {
      total = (await stat(file)).size;
    } catch {
      throw new BlobError(404, "no such object");
    }
    const headers = { "accept-ranges": "bytes", "content-type": "application/octet-stream", "cache-control": "private, no-store" };
    if (!range) {
      return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, { status: 200, headers: { ...headers, "content-length": String(total) } });
    }
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === "" && m[2] === "")) throw new BlobError(416, "only one byte range is supported");
    let start: number;
    let end: number;
    if (m[1] === "") {
      start = Math.max(0, total - Number(m[2]));
      end = total - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === "" ? total - 1 : Math.min(Number(m[2]), total - 1);
    }
    if (start >= total || start > end) {
      return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${total}` } });
    }
    return new Response(Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream<Uint8Array>, {
      status: 206,
      headers: { ...headers, "content-length": String(end - start + 1), "content-range": `bytes ${start}-${end}/${total}` },
    });
  }

  private check(token: string, op: BlobClaims["op"]): BlobClaims {
    const r = verifyBlobToken(this.urlKey, token, this.now());
    if (!r.ok) throw new BlobError(403, r.reason === "expired" ? "This link has expired" : "This link is not valid");
    if (r.claims.op !== op) throw new BlobError(403, "This link is not valid for this request");
    return r.claims;
  }
}
