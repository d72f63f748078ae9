import "server-only";
// The absolute origin used in invite links: PUBLIC_URL when set, else the request's own origin.
import { getServerEnv } from "./env";

export function publicOrigin(headers: Headers): string {
  const configured = getServerEnv().publicUrl;
  if (configured) return configured;
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? `${getServerEnv().host}:${getServerEnv().port}`;
  const proto = headers.get("x-forwarded-proto")?.split(",")[0]?.trim() ?? "http";
  return `${proto === "https" ? "https" : "http"}://${host}`;
}
