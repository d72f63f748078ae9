import { completeFileBody, fileParams } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { completeUpload } from "@/lib/server/files";
import { json, readJson } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

/** Joins the uploaded parts; the document is ready only if the store holds exactly the announced size. */
export const POST = consultRoute(
  { who: "admitted", open: true },
  async (req, { access, db, params }) => {
    const { parts } = await readJson(req, completeFileBody);
    return json(await completeUpload(db, getBlobStore(), access, params.fileId, parts));
  },
  fileParams,
);
