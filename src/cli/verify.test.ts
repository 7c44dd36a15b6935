import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, ConfigError, SourceError } from "../errors.ts";
import type { VerifyResult } from "../runner/verify-query.ts";
import { formatVerify, verifyExitCode, verifyJson } from "./verify.ts";

const T = Date.parse("2026-11-22T00:00:00Z");
const w = { start: T, end: T + 300_000 };
const base: VerifyResult = { query: "requests", windows: 12, requests: 1, mismatches: [], range: { start: T, end: T + 3_600_000 } };

test("verify exits 0 when every window matches or was repaired, 1 when one still differs, and by category on errors", () => {
  assert.equal(verifyExitCode([base]), 0);
  assert.equal(verifyExitCode([{ ...base, mismatches: [{ window: w, service: 5, committed: 4 }] }]), 1);
  assert.equal(verifyExitCode([{ ...base, mismatches: [{ window: w, service: 5, committed: 4, repairedRows: 5 }] }]), 0);
  assert.equal(verifyExitCode([{ ...base, mismatches: [{ window: w, service: 3, committed: 4, note: "fewer" }] }]), 1);
  assert.equal(verifyExitCode([base, { ...base, query: "b", error: new ConfigError("bad", []) }]), 2);
  assert.equal(verifyExitCode([{ ...base, error: new SourceError("SOURCE_UNAVAILABLE", "down") }]), 1);
});

test("verify stopped by a signal: its cancellations are no failure, mismatches and other failures found before it still are", () => {
  const stopped = { stopped: true };
  const cancelled = { ...base, query: "b", error: new AbortedError("the query was stopped by shutdown") };
  assert.equal(verifyExitCode([base, cancelled], stopped), 0);
  assert.equal(verifyExitCode([base, cancelled]), 1, "without a stop, ABORTED is a failure");
  assert.equal(verifyExitCode([{ ...base, mismatches: [{ window: w, service: 5, committed: 4 }] }, cancelled], stopped), 1, "a mismatch found stays 1");
  assert.equal(verifyExitCode([{ ...base, error: new SourceError("SOURCE_AUTH", "403", { status: 403 }) }, cancelled], stopped), 3);
  assert.equal(verifyExitCode([{ ...base, error: new SourceError("SOURCE_REQUEST_INVALID", "bad") }, cancelled], stopped), 1);
});

test("mismatches are listed per window with both counts", () => {
  const text = formatVerify([{ ...base, mismatches: [{ window: w, service: 5, committed: undefined }] }], false);
  assert.match(text, /^requests: .* 12 windows checked, 1 differ \(1 count requests\)\n  2026-11-22T00:00:00.000Z\/2026-11-22T00:05:00.000Z  service 5  committed unknown  not repaired$/);
});

test("a single-source config verifies exactly as before: no source in the lines or the JSON", () => {
  const result: VerifyResult = { ...base, mismatches: [{ window: w, service: 5, committed: 4, repairedRows: 5 }] };
  assert.equal(
    formatVerify([result], false),
    "requests: 2026-11-22T00:00:00.000Z/2026-11-22T01:00:00.000Z 12 windows checked, 1 differ, 1 repaired (1 count requests)\n" +
      "  2026-11-22T00:00:00.000Z/2026-11-22T00:05:00.000Z  service 5  committed 4  repaired: 5 rows now",
  );
  assert.deepEqual(verifyJson(result), {
    query: "requests",
    range: "2026-11-22T00:00:00.000Z/2026-11-22T01:00:00.000Z",
    windows: 12,
    requests: 1,
    mismatches: [{ window: "2026-11-22T00:00:00.000Z/2026-11-22T00:05:00.000Z", service: 5, committed: 4, repairedRows: 5 }],
  });
  assert.deepEqual(Object.keys(verifyJson(base)), ["query", "range", "windows", "requests", "mismatches"]);
});

test("named sources: verify names each query's source, in the lines and the JSON, as status and plan do", () => {
  const eu: VerifyResult = { ...base, query: "requests_eu", source: "prod-eu" };
  const us: VerifyResult = { ...base, query: "requests_us", source: "prod-us", range: undefined, windows: 0, requests: 0 };
  assert.equal(
    formatVerify([eu, us], false),
    "requests_eu (source prod-eu): 2026-11-22T00:00:00.000Z/2026-11-22T01:00:00.000Z 12 windows checked, 0 differ (1 count requests)\n" +
      "requests_us (source prod-us): 0 windows checked, 0 differ (0 count requests)",
  );
  assert.deepEqual(
    [eu, us].map((r) => verifyJson(r)),
    [
      { query: "requests_eu", source: "prod-eu", range: "2026-11-22T00:00:00.000Z/2026-11-22T01:00:00.000Z", windows: 12, requests: 1, mismatches: [] },
      { query: "requests_us", source: "prod-us", range: null, windows: 0, requests: 0, mismatches: [] },
    ],
  );
});
