import { createFileBody } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { listFiles, startUpload } from "@/lib/server/files";
import { getServerEnv } from "@/lib/server/env";
import { json, readJson } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

/** The consult's documents (ids, states, ciphertext sizes; names are only in the sealed chat). */
export const GET = consultRoute({ who: "record" }, async (_req, { access, db }) => json({ files: await listFiles(db, access) }));

/** Starts an encrypted upload: a multipart upload in the store and a row with its ciphertext size. */
export const POST = consultRoute({ who: "admitted", open: true }, async (req, { access, db }) => {
  const body = await readJson(req, createFileBody);
  return json(await startUpload(db, getBlobStore(), access, body, getServerEnv().maxFileBytes), 201);
});
