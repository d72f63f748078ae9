// Transfer progress at a readable pace (lib/client/files/progress.ts): the first report, then at
// most one per interval, and always the end.
import { describe, expect, it } from "vitest";
import { throttleProgress } from "@/lib/client/files/progress";

describe("throttled progress", () => {
  it("passes the first report, drops those within the interval, passes the next one after it", () => {
    let now = 0;
    const seen: number[] = [];
    const report = throttleProgress(
      (done) => seen.push(done),
      200,
      () => now,
    );
    for (const [t, done] of [
      [0, 1],
      [50, 2],
      [199, 3],
      [200, 4],
      [250, 5],
      [420, 6],
    ] as const) {
      now = t;
      report(done, 100);
    }
    expect(seen).toEqual([1, 4, 6]);
  });

  it("always shows the end, however soon it comes", () => {
    let now = 0;
    const seen: number[] = [];
    const report = throttleProgress(
      (done) => seen.push(done),
      200,
      () => now,
    );
    report(10, 100);
    now = 5;
    report(100, 100);
    expect(seen).toEqual([10, 100]);
  });
});
