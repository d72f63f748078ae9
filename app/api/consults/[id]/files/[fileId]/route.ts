import { fileParams } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { deleteFile, issueDownloadLink } from "@/lib/server/files";
import { json } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

/** A presigned, expiring URL to the document's ciphertext (ranged GETs allowed); audited. */
export const GET = consultRoute({ who: "record" }, async (_req, { access, db, params }) => json(await issueDownloadLink(db, getBlobStore(), access, params.fileId)), fileParams);

/** The sender cancels an upload or removes their document; the consult's doctor may remove any. */
export const DELETE = consultRoute(
  { who: "record" },
  async (_req, { access, db, params }) => {
    await deleteFile(db, getBlobStore(), access, params.fileId);
    return json({ deleted: true });
  },
  fileParams,
);
