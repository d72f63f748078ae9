-- Run Parley as a PostgreSQL role that cannot change or delete the audit trail (issue 22).
--
-- The audit table's triggers already refuse UPDATE, DELETE and TRUNCATE, but the table's owner can
-- switch triggers off. So the app should not be the owner: the owner migrates, the app only reads
-- and appends. As the owner (the role that ran `npm run db:migrate`), in Parley's database, after
-- every upgrade (it is safe to run again):
--
--   DATABASE_URL=<owner URL> npm run db:migrate
--   psql "<owner URL>" -v ON_ERROR_STOP=1 -f docs/deploy/app-role.sql
--   psql "<owner URL>" -c "ALTER ROLE parley_app PASSWORD '<a long random password>'"
--
-- then start Parley with DATABASE_URL (and DIRECT_DATABASE_URL, if set) naming parley_app. The
-- owner's password stays out of Parley's settings. With every migration applied, Parley boots as
-- parley_app; after an upgrade that brings a migration, it stops and asks for the step above.
-- tests/integration/audit-chain.test.ts runs this file.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parley_app') THEN
    CREATE ROLE parley_app LOGIN;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO parley_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO parley_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO parley_app;

-- The audit trail: read and append, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON "AuditEvent" FROM parley_app;
-- Migrations are the owner's: the app only reads which ones ran.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "_prisma_migrations" FROM parley_app;
