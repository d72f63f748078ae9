-- Issue 22, item 2: the audit trail becomes append-only and tamper-evident
-- (docs/architecture.md, "The audit trail"; lib/server/audit/chain.ts checks what this writes).
--
-- Every row is numbered, named and chained by the database itself, in a BEFORE INSERT trigger:
--   id        = the previous row's id + 1, under one advisory lock held to the commit, so ids follow
--               the chain and a missing id is a missing row;
--   actorName, actorRole, subjectName = frozen from "User" at that moment (a patient as
--               "participant <id>": the name a patient typed is never repeated here);
--   prevHash  = the previous row's hash (32 zero bytes before the first row);
--   hash      = SHA-256(enc("parley/audit/v1", u64 id, at, actorUserId, actorName, actorRole,
--               subjectUserId, subjectName, consultId, action, detail, ip, userAgent, prevHash)),
--               enc() of docs/protocol.md §0, every field but id and prevHash as UTF-8 text: at as
--               ISO 8601 UTC with milliseconds, uuids in lower-case text, detail as PostgreSQL
--               prints the jsonb, NULL as the empty string.
-- Then UPDATE, DELETE and TRUNCATE are refused by triggers. The actor foreign key goes: deleting a
-- person no longer rewrites their rows.

-- DropForeignKey
ALTER TABLE "AuditEvent" DROP CONSTRAINT "AuditEvent_actorUserId_fkey";

-- DropIndex
DROP INDEX "AuditEvent_actorUserId_idx";

-- DropIndex
DROP INDEX "AuditEvent_consultId_idx";

-- DropIndex
DROP INDEX "AuditEvent_subjectUserId_idx";

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "actorName" TEXT,
ADD COLUMN     "actorRole" TEXT,
ADD COLUMN     "hash" BYTEA NOT NULL DEFAULT '\x'::bytea,
ADD COLUMN     "prevHash" BYTEA NOT NULL DEFAULT '\x'::bytea,
ADD COLUMN     "subjectName" TEXT,
ADD COLUMN     "userAgent" TEXT,
ALTER COLUMN "id" SET DEFAULT 0;
DROP SEQUENCE "AuditEvent_id_seq";

-- CreateIndex
CREATE INDEX "AuditEvent_consultId_id_idx" ON "AuditEvent"("consultId", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_actorUserId_id_idx" ON "AuditEvent"("actorUserId", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_subjectUserId_id_idx" ON "AuditEvent"("subjectUserId", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_action_id_idx" ON "AuditEvent"("action", "id");

-- How the trail names a person: staff by name, a patient by participant id.
CREATE FUNCTION "audit_person"(who UUID, OUT name TEXT, OUT role TEXT) LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN u."role" = 'patient'
              THEN coalesce('participant ' || (SELECT p."id"::text FROM "Participant" p WHERE p."userId" = u."id" ORDER BY p."createdAt", p."id" LIMIT 1), 'patient')
              ELSE u."name" END,
         u."role"::text
  FROM "User" u WHERE u."id" = who
$$;

-- One field of enc(): its UTF-8 length as a 4-byte big-endian integer, then its bytes.
CREATE FUNCTION "audit_field"(t TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
  SELECT int4send(octet_length(convert_to(coalesce(t, ''), 'UTF8'))) || convert_to(coalesce(t, ''), 'UTF8')
$$;

CREATE FUNCTION "audit_row_hash"(r "AuditEvent") RETURNS BYTEA LANGUAGE sql STABLE AS $$
  SELECT sha256(
    "audit_field"('parley/audit/v1')
    || int4send(8) || int8send(r."id")
    || "audit_field"(to_char(r."at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    || "audit_field"(r."actorUserId"::text)
    || "audit_field"(r."actorName")
    || "audit_field"(r."actorRole")
    || "audit_field"(r."subjectUserId"::text)
    || "audit_field"(r."subjectName")
    || "audit_field"(r."consultId"::text)
    || "audit_field"(r."action")
    || "audit_field"(r."detail"::text)
    || "audit_field"(r."ip")
    || "audit_field"(r."userAgent")
    || int4send(octet_length(r."prevHash")) || r."prevHash")
$$;

-- The rows written before this migration join the chain in id order, with the names as they are now.
DO $$
DECLARE
  r "AuditEvent";
  prev BYTEA := decode(repeat('00', 32), 'hex');
  actor RECORD;
  subject RECORD;
BEGIN
  FOR r IN SELECT * FROM "AuditEvent" ORDER BY "id" LOOP
    SELECT * INTO actor FROM "audit_person"(r."actorUserId");
    SELECT * INTO subject FROM "audit_person"(r."subjectUserId");
    r."actorName" := actor.name;
    r."actorRole" := actor.role;
    r."subjectName" := subject.name;
    r."prevHash" := prev;
    r."hash" := "audit_row_hash"(r);
    UPDATE "AuditEvent"
       SET "actorName" = r."actorName", "actorRole" = r."actorRole", "subjectName" = r."subjectName", "prevHash" = r."prevHash", "hash" = r."hash"
     WHERE "id" = r."id";
    prev := r."hash";
  END LOOP;
END
$$;

CREATE FUNCTION "audit_seal"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_id BIGINT;
  last_hash BYTEA;
  actor RECORD;
  subject RECORD;
BEGIN
  -- One writer at a time, to the commit: the next row reads this one's hash.
  PERFORM pg_advisory_xact_lock(7370746575646974);
  SELECT "id", "hash" INTO last_id, last_hash FROM "AuditEvent" ORDER BY "id" DESC LIMIT 1;
  NEW."id" := coalesce(last_id, 0) + 1;
  NEW."prevHash" := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
  IF NEW."actorUserId" IS NOT NULL THEN
    SELECT * INTO actor FROM "audit_person"(NEW."actorUserId");
    IF actor.name IS NOT NULL THEN
      NEW."actorName" := actor.name;
      NEW."actorRole" := actor.role;
    END IF;
  END IF;
  IF NEW."subjectUserId" IS NOT NULL THEN
    SELECT * INTO subject FROM "audit_person"(NEW."subjectUserId");
    IF subject.name IS NOT NULL THEN
      NEW."subjectName" := subject.name;
    END IF;
  END IF;
  NEW."hash" := "audit_row_hash"(NEW);
  RETURN NEW;
END
$$;

CREATE FUNCTION "audit_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'The audit trail is append-only: % on "AuditEvent" is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "AuditEvent_seal" BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION "audit_seal"();
CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();
