// zod schemas for the admin's audit viewer and exports (/admin/audit, /api/admin/audit,
// `npm run admin -- audit-export`): the filter, read from a query string or the command line.
import { z } from "zod";
import { uuid } from "./api";

/** An empty form field counts as not given. */
export const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);

/** A date (2026-12-07) or a date and time (2026-12-07T09:30, seconds and Z optional), always UTC. */
const utcTime = (dateMeansEndOfDay: boolean) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/, "a date (YYYY-MM-DD) or a UTC date and time (YYYY-MM-DDThh:mm)")
    .transform((s, ctx) => {
      const dateOnly = s.length === 10;
      const d = new Date(dateOnly ? `${s}T00:00:00Z` : s.endsWith("Z") ? s : `${s}Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s.slice(0, 10)) {
        ctx.addIssue({ code: "custom", message: "not a real date" });
        return z.NEVER;
      }
      return dateOnly && dateMeansEndOfDay ? new Date(d.getTime() + 86_400_000) : d;
    });

/** An action (`records.opened`) or a family of them (`records`). */
export const auditAction = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/, "an action such as file.uploaded, or a family such as file");

export const auditFilter = z
  .object({
    /** a person: rows where they acted or were acted on */
    person: z.preprocess(blankIsUnset, uuid.optional()),
    consult: z.preprocess(blankIsUnset, uuid.optional()),
    action: z.preprocess(blankIsUnset, auditAction.optional()),
    /** from this time on (inclusive) */
    from: z.preprocess(blankIsUnset, utcTime(false).optional()),
    /** before this time; a date alone means up to the end of that day */
    to: z.preprocess(blankIsUnset, utcTime(true).optional()),
  })
  .strict();
export type AuditFilter = z.infer<typeof auditFilter>;

/** One page of the viewer: the filter, and rows older than `before` (an id). */
export const auditPageQuery = auditFilter
  .extend({
    before: z.preprocess(
      blankIsUnset,
      z
        .string()
        .regex(/^[1-9]\d{0,18}$/, "a row id")
        .optional(),
    ),
  })
  .strict();
export type AuditPageQuery = z.infer<typeof auditPageQuery>;

export const auditExportQuery = auditFilter.extend({ format: z.preprocess(blankIsUnset, z.enum(["csv", "jsonl"]).default("csv")) }).strict();

/** One audit row as text, exactly as it was hashed (and as the JSON-lines export carries it). */
export type AuditRecord = {
  id: string;
  /** ISO 8601 UTC with milliseconds */
  at: string;
  actorUserId: string | null;
  actorName: string | null;
  actorRole: string | null;
  subjectUserId: string | null;
  subjectName: string | null;
  consultId: string | null;
  action: string;
  /** the detail as PostgreSQL prints the jsonb */
  detail: string;
  ip: string | null;
  userAgent: string | null;
  /** hex */
  prevHash: string;
  /** hex */
  hash: string;
};

/** What a check of the chain found (lib/server/audit/chain.ts). */
export const chainReport = z.object({
  checked: z.number().int(),
  links: z.number().int(),
  head: z.object({ id: z.string(), hash: z.string() }).optional(),
  firstBroken: z.object({ id: z.string(), problem: z.enum(["altered", "unlinked", "out_of_order"]), message: z.string() }).optional(),
});
export type ChainReportView = z.infer<typeof chainReport>;

/**
 * POST /api/admin/audit/verify. `onOpen`: the check /admin runs by itself when the page opens; an
 * intact result of that one is not audited (it would add a row to the trail at every page view).
 */
export const verifyBody = z.object({ onOpen: z.boolean().optional() }).strict();
