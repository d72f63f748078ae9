// What the page and the sealing worker (seal-worker.ts) say to each other while a document is
// encrypted into the spool (spool.ts). Plain data and Files only: everything here is structured-cloned.
import type { FileDigest } from "@/lib/crypto";

/** The origin-private directory that holds spooled parts, one subdirectory per upload. */
export const SPOOL_DIR = "parley-spool";

/** The Web Lock an upload holds while its spool directory is in use (a stale one may go). */
export const spoolLock = (name: string) => `parley-spool|${name}`;

export type ToSealer =
  | {
      type: "start";
      /** the upload's spool directory: the file id */
      name: string;
      file: Blob;
      key: Uint8Array;
      fileId: Uint8Array;
      consultId: Uint8Array;
      chunkSize: number;
      partSize: number;
    }
  /** room for `count` more parts on disk: new part files, at the start */
  | { type: "credit"; count: number }
  /** part file `slot` has been sent (or given up): it may be written again */
  | { type: "free"; slot: number }
  /** what are you waiting for? (asked when no part has come for a long time) */
  | { type: "status" };

export type FromSealer =
  /** the spool is open: parts will follow */
  | { type: "ready" }
  /** this browser cannot spool (no origin-private file system or no sync access handles) */
  | { type: "unsupported"; reason: string }
  /** part `part` is sealed and closed; `file` is it on disk, in part file `slot` */
  | { type: "part"; part: number; slot: number; file: File }
  | { type: "done"; digest: FileDigest }
  /** something the page should log (a read that stalled and was started again) */
  | { type: "warning"; message: string }
  /** the answer to "status": what the worker awaits now, and how many bytes it has sealed */
  | { type: "status"; waiting: string; sealed: number }
  | { type: "error"; message: string; fileChanged: boolean };
