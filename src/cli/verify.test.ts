import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, SourceError } from "../errors.ts";
import type { VerifyResult } from "../runner/verify-query.ts";
import { formatVerify, verifyExitCode } from "./verify.ts";

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

test("mismatches are listed per window with both counts", () => {
  const text = formatVerify([{ ...base, mismatches: [{ window: w, service: 5, committed: undefined }] }], false);
  assert.match(text, /^requests: .* 12 windows checked, 1 differ \(1 count requests\)\n  2026-11-22T00:00:00.000Z\/2026-11-22T00:05:00.000Z  service 5  committed unknown  not repaired$/);
});
