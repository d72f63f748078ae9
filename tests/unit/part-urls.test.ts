// Presigned part URLs asked for ahead of need (lib/client/files/part-urls.ts): parts sent at once
// share one request, the next batch is asked for before it is needed, a failed request is asked
// again, and a refused URL is replaced by a fresh one.
import { describe, expect, it } from "vitest";
import { PartUrls, type PartUrl } from "@/lib/client/files/part-urls";

function server() {
  const requests: number[][] = [];
  let version = 0;
  let failNext = false;
  const ask = async (parts: number[]): Promise<PartUrl[]> => {
    requests.push(parts);
    await Promise.resolve();
    if (failNext) {
      failNext = false;
      throw new Error("offline");
    }
    version++;
    return parts.map((n) => ({ partNumber: n, url: `https://store/part-${n}?v=${version}` }));
  };
  return { requests, ask, fail: () => (failNext = true) };
}

describe("part URLs", () => {
  it("asks once for parts sent at the same time", async () => {
    const s = server();
    const urls = new PartUrls(20, s.ask, 8);
    const got = await Promise.all([urls.get(1), urls.get(2), urls.get(3)]);
    expect(got).toEqual(["https://store/part-1?v=1", "https://store/part-2?v=1", "https://store/part-3?v=1"]);
    expect(s.requests).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
  });

  it("asks for the next batch half a batch before it is needed, and never beyond the last part", async () => {
    const s = server();
    const urls = new PartUrls(12, s.ask, 8);
    for (let part = 1; part <= 12; part++) await urls.get(part);
    expect(s.requests).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    // part 5 was the first to see only half a batch asked for beyond it
    const again = server();
    const early = new PartUrls(40, again.ask, 8);
    for (let part = 1; part <= 4; part++) await early.get(part);
    expect(again.requests).toHaveLength(1);
    await early.get(5);
    expect(again.requests).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
  });

  it("asks again for parts whose request failed", async () => {
    const s = server();
    const urls = new PartUrls(4, s.ask, 8);
    s.fail();
    await expect(urls.get(1)).rejects.toThrow("offline");
    expect(await urls.get(1)).toBe("https://store/part-1?v=1");
    expect(s.requests).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
  });

  it("gives a fresh URL for a part whose URL was refused", async () => {
    const s = server();
    const urls = new PartUrls(4, s.ask, 8);
    expect(await urls.get(2)).toBe("https://store/part-2?v=1");
    expect(await urls.get(2, true)).toBe("https://store/part-2?v=2");
    expect(s.requests).toEqual([[2, 3, 4], [2]]);
  });
});
