// An upload's parts must each come within a time limit (lib/client/files/within-each.ts): a
// source that stops giving values fails the upload with what it was waiting for, and the time
// the consumer takes between values does not count.
import { describe, expect, it } from "vitest";
import { Waits } from "@/lib/client/files/waits";
import { StalledError, withinEach } from "@/lib/client/files/within-each";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* parts(delays: number[]): AsyncGenerator<number> {
  for (const [i, d] of delays.entries()) {
    await sleep(d);
    yield i + 1;
  }
}

describe("withinEach", () => {
  it("passes every value of a source that keeps up", async () => {
    const got: number[] = [];
    for await (const n of withinEach(parts([5, 5, 5]), 100, () => Promise.resolve("never"))) got.push(n);
    expect(got).toEqual([1, 2, 3]);
  });

  it("fails with the source's explanation when a value is late, after the values that came", async () => {
    const got: number[] = [];
    const run = (async () => {
      for await (const n of withinEach(parts([5, 5, 10_000]), 100, () => Promise.resolve("waiting for the file to be read"))) got.push(n);
    })();
    await expect(run).rejects.toThrow(StalledError);
    await expect(run).rejects.toThrow("waiting for the file to be read");
    expect(got).toEqual([1, 2]);
  });

  it("does not count the time the consumer takes between values", async () => {
    const got: number[] = [];
    for await (const n of withinEach(parts([5, 5]), 100, () => Promise.resolve("late"))) {
      got.push(n);
      await sleep(250);
    }
    expect(got).toEqual([1, 2]);
  });

  it("closes a source that is not stuck when the consumer stops early", async () => {
    let closed = false;
    async function* source() {
      try {
        await Promise.resolve();
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    for await (const n of withinEach(source(), 100, () => Promise.resolve("late"))) if (n === 1) break;
    expect(closed).toBe(true);
  });
});

describe("Waits", () => {
  it("says which steps are awaited now, whatever order they started and end in", async () => {
    const waits = new Waits("nothing");
    let read: () => void = () => undefined;
    let sealed: () => void = () => undefined;
    // As in the worker: the read starts inside the call that the encryption step then awaits.
    const reading = waits.on("reading the file", new Promise<void>((r) => (read = r)));
    const sealing = waits.on(
      "encryption",
      reading.then(() => new Promise<void>((r) => (sealed = r))),
    );
    expect(waits.now).toBe("reading the file and encryption");
    read();
    await reading;
    expect(waits.now).toBe("encryption");
    sealed();
    await sealing;
    expect(waits.now).toBe("nothing");
  });
});
