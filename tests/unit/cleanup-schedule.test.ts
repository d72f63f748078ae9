// lib/server/cleanup-schedule.ts: the server's own clean-up timer (long-running servers only):
// a run every interval, never two at once, each logged, and a stop that waits for the run under way.
import { afterEach, beforeEach, expect, it, vi, type MockInstance } from "vitest";

import type { CleanupReport } from "@/lib/server/cleanup";
import { startCleanupSchedule } from "@/lib/server/cleanup-schedule";
import { getLog } from "@/lib/server/log";

const NOTHING: CleanupReport = { signals: 0, uploads: 0, challenges: 0, throttles: 0, rates: 0, retention: { consults: 0, messages: 0, documents: 0, bytes: 0, storeFailures: 0 } };

let info: MockInstance;
let debug: MockInstance;
let warn: MockInstance;

beforeEach(() => {
  vi.useFakeTimers();
  info = vi.spyOn(getLog(), "info").mockImplementation(() => undefined);
  debug = vi.spyOn(getLog(), "debug").mockImplementation(() => undefined);
  warn = vi.spyOn(getLog(), "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

it("runs the clean-up once per interval, not at start, and logs what went", async () => {
  const run = vi.fn(() => Promise.resolve({ ...NOTHING, signals: 3 }));
  const schedule = startCleanupSchedule(run, 1_000);
  expect(run).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(3_000);
  expect(run).toHaveBeenCalledTimes(3);
  expect(info).toHaveBeenCalledWith(expect.objectContaining({ signals: 3 }), "scheduled clean-up");
  await schedule.stop();
  await vi.advanceTimersByTimeAsync(5_000);
  expect(run).toHaveBeenCalledTimes(3);
});

it("a run that removed nothing is logged at debug level only", async () => {
  const schedule = startCleanupSchedule(() => Promise.resolve(NOTHING), 1_000);
  await vi.advanceTimersByTimeAsync(1_000);
  expect(debug).toHaveBeenCalledWith(NOTHING, "scheduled clean-up");
  expect(info).not.toHaveBeenCalled();
  await schedule.stop();
});

it("a slow run is not joined by the next one, and stop() waits for it to end", async () => {
  let finish = () => undefined as void;
  const run = vi.fn(() => new Promise<CleanupReport>((resolve) => (finish = () => resolve(NOTHING))));
  const schedule = startCleanupSchedule(run, 1_000);
  await vi.advanceTimersByTimeAsync(5_000);
  expect(run).toHaveBeenCalledTimes(1);
  let stopped = false;
  const stopping = schedule.stop().then(() => (stopped = true));
  await vi.advanceTimersByTimeAsync(0);
  expect(stopped).toBe(false);
  finish();
  await stopping;
  expect(stopped).toBe(true);
  expect(run).toHaveBeenCalledTimes(1);
});

it("a failed run is logged as a warning and the next one still comes", async () => {
  const run = vi.fn().mockRejectedValueOnce(new Error("database is restarting")).mockResolvedValue(NOTHING);
  const schedule = startCleanupSchedule(run, 1_000);
  await vi.advanceTimersByTimeAsync(2_000);
  expect(warn).toHaveBeenCalledWith({ err: expect.objectContaining({ message: "database is restarting" }) as unknown }, "scheduled clean-up failed");
  expect(run).toHaveBeenCalledTimes(2);
  await schedule.stop();
});

it("never keeps the process alive", () => {
  const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
  const schedule = startCleanupSchedule(() => Promise.resolve(NOTHING), 1_000);
  const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
  expect(timer.hasRef()).toBe(false);
  void schedule.stop();
});
