// zod schema for the admin's consult list (/admin/consults): a filter and a page cursor from the query string.
import { z } from "zod";
import { uuid } from "./api";
import { blankIsUnset } from "./audit";

export const consultListQuery = z
  .object({
    doctor: z.preprocess(blankIsUnset, uuid.optional()),
    status: z.preprocess(blankIsUnset, z.enum(["scheduled", "open", "ended", "cancelled"]).optional()),
    /** where the page starts: `<ISO time>_<consult id>` */
    before: z.preprocess(
      blankIsUnset,
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z_[0-9a-f-]{36}$/, "a page cursor")
        .optional(),
    ),
  })
  .strict();
export type ConsultListQuery = z.infer<typeof consultListQuery>;

/** One consult as the admin's list shows it. */
export type ConsultListRow = {
  id: string;
  status: string;
  doctor: string;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
  messages: number;
  documents: number;
  /** under a legal hold: since when, and why */
  hold: { since: string; reason: string } | null;
  /** retention deleted its chat and documents */
  purgedAt: string | null;
};

/** A legal hold's reason: what the clinic cites (a case, a request), not patient content. */
export const holdBody = z.object({ reason: z.string().trim().min(3, "say why, in a few words").max(500) }).strict();
export const holdAnswer = z.object({ heldAt: z.string() });
export const noHoldBody = z.object({}).strict();
