// Settings the test servers get (playwright.config.ts) that specs also need to know.

/** The pg server's CRON_SECRET: the scheduler's bearer token for /api/cron/cleanup. */
export const E2E_CRON_SECRET = "parley-e2e-cron-secret-0123456789";
