// zod schemas for the clinic's records as an admin with the recovery sheet reads them (PROTOCOL
// §7.4): metadata, the copies sealed to the records key, and the sealed messages and documents.
import { z } from "zod";
import { fileView, storedMessage, uuid } from "./api";
import { storedKeyCopy } from "./keys";

export const recordSummary = z.object({
  id: uuid,
  status: z.string(),
  doctor: z.string(),
  scheduledAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  messages: z.number().int(),
  documents: z.number().int(),
});
export const recordListAnswer = z.object({ consults: z.array(recordSummary) });

export const recordAnswer = z.object({
  consult: z.object({ id: uuid, status: z.string(), doctor: z.string(), scheduledAt: z.string(), endedAt: z.string().nullable() }),
  copies: z.array(storedKeyCopy),
  messages: z.array(storedMessage),
  files: z.array(fileView),
});
export type RecordAnswer = z.infer<typeof recordAnswer>;
