import "server-only";
// The origin printed in links made outside a request (at start, from `npm run admin`): PUBLIC_URL
// when set, else where this server listens (a wildcard HOST is shown as localhost, with a hint).
import type { ServerEnv } from "../env";

export function configuredOrigin(env: Pick<ServerEnv, "publicUrl" | "host" | "port">): string {
  if (env.publicUrl) return env.publicUrl;
  const wildcard = env.host === "0.0.0.0" || env.host === "::" || env.host === "[::]";
  const host = wildcard ? "localhost" : env.host.includes(":") && !env.host.startsWith("[") ? `[${env.host}]` : env.host;
  return `http://${host}:${env.port}`;
}
