// lib/server/net/client-address.ts, the preload's stamping (scripts/lib/client-ip.ts) on a real
// server, and lib/server/net/request-ip.ts with and without it.
import http from "node:http";
import { type AddressInfo } from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import { parseServerEnv, SettingsError } from "@/lib/server/env";
import { CLIENT_IP_HEADER, clientAddress } from "@/lib/server/net/client-address";
import { requestIp } from "@/lib/server/net/request-ip";
import { installClientIp, trustedHopsFrom } from "@/scripts/lib/client-ip";

const SOCKET = "203.0.113.9";

describe("clientAddress", () => {
  it("with 0 hops is the socket's peer, whatever X-Forwarded-For says", () => {
    expect(clientAddress(SOCKET, "1.1.1.1, 2.2.2.2", 0)).toBe(SOCKET);
    expect(clientAddress(SOCKET, undefined, 0)).toBe(SOCKET);
    expect(clientAddress(undefined, "1.1.1.1", 0)).toBeUndefined();
  });

  it("with 1 hop is the rightmost X-Forwarded-For entry", () => {
    expect(clientAddress(SOCKET, "1.1.1.1, 2.2.2.2", 1)).toBe("2.2.2.2");
    expect(clientAddress(SOCKET, ["1.1.1.1", "2.2.2.2, 3.3.3.3"], 1)).toBe("3.3.3.3");
  });

  it("with 2 hops is the second entry from the right", () => {
    expect(clientAddress(SOCKET, "1.1.1.1, 2.2.2.2, 3.3.3.3", 2)).toBe("2.2.2.2");
  });

  it("with more hops than entries is the leftmost entry", () => {
    expect(clientAddress(SOCKET, "2.2.2.2", 3)).toBe("2.2.2.2");
    expect(clientAddress(SOCKET, undefined, 3)).toBe(SOCKET);
    expect(clientAddress(SOCKET, "  ", 1)).toBe(SOCKET);
  });

  it("never answers with an entry left of the trusted range, however many the client adds", () => {
    const forged = Array.from({ length: 20 }, (_, i) => `10.0.0.${i}`).join(", ");
    expect(clientAddress(SOCKET, `${forged}, 198.51.100.7`, 1)).toBe("198.51.100.7");
    expect(clientAddress(SOCKET, `${forged}, 198.51.100.7, 192.0.2.1`, 2)).toBe("198.51.100.7");
  });

  it("maps IPv4-mapped IPv6 to IPv4 and spells IPv6 one way", () => {
    expect(clientAddress("::ffff:127.0.0.1", undefined, 0)).toBe("127.0.0.1");
    expect(clientAddress(SOCKET, "::FFFF:192.0.2.1", 1)).toBe("192.0.2.1");
    expect(clientAddress(SOCKET, "::ffff:c000:0201", 1)).toBe("192.0.2.1");
    expect(clientAddress("2001:DB8:0:0::1", undefined, 0)).toBe("2001:db8::1");
    expect(clientAddress("fe80::1%eth0", undefined, 0)).toBe("fe80::1%eth0");
  });

  it("uses the nearest valid entry to the right of one that is not an address", () => {
    expect(clientAddress(SOCKET, "1.1.1.1, unknown", 1)).toBe(SOCKET);
    expect(clientAddress(SOCKET, "1.1.1.1, 2.2.2.2, unknown", 2)).toBe("2.2.2.2");
    expect(clientAddress(SOCKET, "1.1.1.1, garbage, 2.2.2.2", 2)).toBe("2.2.2.2");
    expect(clientAddress(SOCKET, "01.2.3.4, ,", 3)).toBe(SOCKET);
    expect(clientAddress(undefined, "1.1.1.1, unknown", 1)).toBeUndefined();
    expect(clientAddress("not-an-ip", undefined, 0)).toBeUndefined();
  });

  it("strips ports and brackets", () => {
    expect(clientAddress(SOCKET, "192.0.2.1:4711", 1)).toBe("192.0.2.1");
    expect(clientAddress(SOCKET, "[2001:db8::1]:443", 1)).toBe("2001:db8::1");
    expect(clientAddress(SOCKET, " [2001:db8::2] ", 1)).toBe("2001:db8::2");
    expect(clientAddress(SOCKET, "2001:db8::3", 1)).toBe("2001:db8::3");
    expect(clientAddress(SOCKET, "[192.0.2.1", 1)).toBe(SOCKET);
    expect(clientAddress(SOCKET, "192.0.2.1:port", 1)).toBe(SOCKET);
  });

  it("refuses a hop count that is not an integer ≥ 0", () => {
    expect(() => clientAddress(SOCKET, undefined, -1)).toThrow(RangeError);
    expect(() => clientAddress(SOCKET, undefined, 1.5)).toThrow(RangeError);
  });
});

describe("TRUSTED_PROXIES", () => {
  const base = { DATABASE_URL: "postgresql://parley@127.0.0.1:5432/parley", AUTH_SECRET: "s".repeat(32) };

  it("is 0 by default and an integer from 0 to 10, in env.ts and in the preload alike", () => {
    expect(parseServerEnv(base).trustedProxies).toBe(0);
    expect(parseServerEnv({ ...base, TRUSTED_PROXIES: "" }).trustedProxies).toBe(0);
    expect(parseServerEnv({ ...base, TRUSTED_PROXIES: "2" }).trustedProxies).toBe(2);
    expect(trustedHopsFrom(undefined)).toBe(0);
    expect(trustedHopsFrom("")).toBe(0);
    expect(trustedHopsFrom("2")).toBe(2);
    for (const bad of ["-1", "11", "1.5", "abc"]) {
      expect(() => parseServerEnv({ ...base, TRUSTED_PROXIES: bad })).toThrow(SettingsError);
      expect(() => trustedHopsFrom(bad)).toThrow(/TRUSTED_PROXIES/);
    }
  });
});

describe("the preload on a real server", () => {
  let uninstall: (() => void) | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    uninstall?.();
    uninstall = undefined;
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  /** Starts a server on 127.0.0.1 that answers with the stamped header and requestIp() of it. */
  async function serve(trustedHops: number): Promise<number> {
    uninstall = installClientIp(trustedHops);
    const s = (server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      res.end(JSON.stringify({ header: req.headers[CLIENT_IP_HEADER] ?? null, requestIp: requestIp(headers) ?? null, raw: req.rawHeaders }));
    }));
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    return (s.address() as AddressInfo).port;
  }

  function getText(port: number, headers: http.OutgoingHttpHeaders = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, headers }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });
  }

  const get = async (port: number, headers: http.OutgoingHttpHeaders) => JSON.parse(await getText(port, headers)) as { header: string | null; requestIp: string | null; raw: string[] };

  it("replaces forged X-Forwarded-For and x-parley-client-ip with the socket's peer", async () => {
    const port = await serve(0);
    const got = await get(port, { "x-forwarded-for": "6.6.6.6", "X-Parley-Client-IP": ["6.6.6.6", "7.7.7.7"] });
    expect(got.header).toBe("127.0.0.1");
    expect(got.requestIp).toBe("127.0.0.1");
    const pairs = got.raw.flatMap((name, i) => (i % 2 === 0 ? [[name.toLowerCase(), got.raw[i + 1]]] : []));
    expect(pairs.filter(([name]) => name === CLIENT_IP_HEADER)).toEqual([[CLIENT_IP_HEADER, "127.0.0.1"]]);
  });

  it("with 1 hop takes the proxy's entry, not the client's", async () => {
    const port = await serve(1);
    const got = await get(port, { "x-forwarded-for": "6.6.6.6, 198.51.100.7", "x-parley-client-ip": "6.6.6.6" });
    expect(got.header).toBe("198.51.100.7");
  });

  it("is undone by its undo", async () => {
    uninstall = installClientIp(0);
    uninstall();
    uninstall = undefined;
    const s = (server = http.createServer((req, res) => res.end(req.headers[CLIENT_IP_HEADER])));
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as AddressInfo).port;
    expect(await getText(port, { "x-parley-client-ip": "6.6.6.6" })).toBe("6.6.6.6");
  });
});

describe("requestIp without the preload", () => {
  it("ignores a client's own x-parley-client-ip and trusts only TRUSTED_PROXIES hops of X-Forwarded-For", () => {
    const headers = new Headers({ [CLIENT_IP_HEADER]: "6.6.6.6", "x-forwarded-for": "6.6.6.6, 198.51.100.7" });
    expect(requestIp(headers, 0)).toBeUndefined();
    expect(requestIp(new Request("http://parley.test/", { headers }), 1)).toBe("198.51.100.7");
  });
});
