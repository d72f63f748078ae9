// Stand-in for the `server-only` package under vitest (see vitest.config.ts). The real package throws
// when imported outside React Server Components, which is exactly where unit tests import lib/server.
export {};
