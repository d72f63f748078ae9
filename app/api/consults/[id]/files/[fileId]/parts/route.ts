import { fileParams, filePartsBody } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { presignParts } from "@/lib/server/files";
import { json, readJson } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

/** Presigned PUT URLs (10 minutes) for some of the upload's parts: the bytes go straight to the store. */
export const POST = consultRoute(
  { who: "admitted", open: true },
  async (req, { access, db, params }) => {
    const { parts } = await readJson(req, filePartsBody);
    return json(await presignParts(db, getBlobStore(), access, params.fileId, parts));
  },
  fileParams,
);
