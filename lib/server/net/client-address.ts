// Where a request came from, given the TCP peer and X-Forwarded-For and how many proxies in front of
// the server are trusted. Pure and without `server-only`: the process preload
// (scripts/lib/client-ip-preload.mjs) loads it outside Next; lib/server/net/request-ip.ts inside.
import { isIP } from "node:net";

/** Set on every request by the preload, after it deletes any copy the client sent. */
export const CLIENT_IP_HEADER = "x-parley-client-ip";

/** On globalThis once this process stamps CLIENT_IP_HEADER on every request (scripts/lib/client-ip.ts). */
export const CLIENT_IP_STAMPED = Symbol.for("parley.client-ip-stamped");

/**
 * The client's address. Each trusted proxy appends the address it saw to X-Forwarded-For, so in the
 * list [...X-Forwarded-For, socketAddress] the client is `trustedHops` places left of the right end,
 * or the leftmost entry when the list is shorter; anything further left was written by the client.
 * An entry that is not an IP address is never the answer: the nearest valid entry to its right is,
 * which a client cannot have written either. undefined when no entry from there on is valid.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string | undefined {
  if (!Number.isInteger(trustedHops) || trustedHops < 0) throw new RangeError(`trustedHops must be an integer ≥ 0, not ${trustedHops}`);
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  const list: (string | undefined)[] = header.trim() === "" ? [] : header.split(",");
  list.push(socketAddress);
  for (let i = Math.max(0, list.length - 1 - trustedHops); i < list.length; i++) {
    const address = parseAddress(list[i]);
    if (address !== undefined) return address;
  }
  return undefined;
}

/** An X-Forwarded-For entry or socket address as a canonical IP address, without port or brackets. */
function parseAddress(entry: string | undefined): string | undefined {
  const s = entry?.trim() ?? "";
  // "[v6]" or "[v6]:port"; "v4:port"; a bare v6 address cannot carry a port.
  const host = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(s)?.[1] ?? (isIP(s) ? s : /^([\d.]+):\d{1,5}$/.exec(s)?.[1]);
  if (host === undefined) return undefined;
  const version = isIP(host);
  if (version === 4) return host;
  if (version !== 6) return undefined;
  if (host.includes("%")) return host; // a link-local address with its zone, which URL refuses
  // One spelling per address (lower case, zeros compressed), so rate limits count them together.
  const canonical = new URL(`http://[${host}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
