import { test } from "node:test";
import assert from "node:assert/strict";
import { formatStatusTable, statusProblems, type QueryStatus } from "./status.ts";

function row(over: Partial<QueryStatus>): QueryStatus {
  return { query: "q", enabled: true, watermark: "2026-12-01T00:00:00.000Z", lagSeconds: 60, rows: 1, windows: 1, lastRun: null, lastRewind: null, backfills: [], coverage: null, ...over };
}
const ok = { runId: "r", command: "export", finishedAt: "2026-12-01T00:01:00.000Z", outcome: "ok", rows: 5 };

test("statusProblems: a failed last run, with its code, whatever the lag", () => {
  assert.deepEqual(statusProblems([row({ lastRun: ok })]), []);
  assert.deepEqual(statusProblems([row({ lastRun: { ...ok, outcome: "failed", error: { code: "SOURCE_AUTH", message: "m" } } })]), [
    "q: the last run (2026-12-01T00:01:00.000Z) failed with SOURCE_AUTH",
  ]);
});

test("statusProblems: with a maximum lag, a query behind it or without a watermark; disabled queries never", () => {
  assert.deepEqual(statusProblems([row({ lagSeconds: 1800 })], 1800), [], "exactly the maximum is fine");
  assert.deepEqual(statusProblems([row({ lagSeconds: 1801 })], 1800), ["q: lags 30m behind now, more than the 30m allowed"]);
  assert.deepEqual(statusProblems([row({ watermark: null, lagSeconds: null })], 1800), ["q: no watermark yet (nothing exported)"]);
  assert.deepEqual(statusProblems([row({ watermark: null, lagSeconds: null })]), [], "without --max-lag a missing watermark is not checked");
  assert.deepEqual(statusProblems([row({ enabled: false, lagSeconds: 99999, lastRun: { ...ok, outcome: "failed" } })], 60), []);
});

test("statusProblems: a corrupt stored state is a problem of its query, even disabled, and not also 'no watermark'", () => {
  const corrupt = row({ watermark: null, lagSeconds: null, stateError: "/x/_state/q/live.json: not a cursor" });
  assert.deepEqual(statusProblems([corrupt], 60), ["q: its stored state is corrupt (STATE_CORRUPT): /x/_state/q/live.json: not a cursor"]);
  assert.deepEqual(statusProblems([{ ...corrupt, enabled: false }]), ["q: its stored state is corrupt (STATE_CORRUPT): /x/_state/q/live.json: not a cursor"]);
});

test("formatStatusTable: a SOURCE column only when the config names its sources", () => {
  const single = formatStatusTable([row({ lastRun: ok })]).split("\n");
  assert.match(single[0]!, /^QUERY +WATERMARK +LAG/);
  const named = formatStatusTable([row({ query: "a", source: "east", lastRun: ok }), row({ query: "b", source: "west-2" })]).split("\n");
  assert.match(named[0]!, /^QUERY +SOURCE +WATERMARK +LAG/);
  assert.match(named[1]!, /^a +east +2026-12-01T00:00:00.000Z/);
  assert.match(named[2]!, /^b +west-2 +2026-12-01T00:00:00.000Z/);
});

const hole = { from: "2026-12-05T14:30:00.000Z", to: "2026-12-05T14:33:09.000Z", seconds: 189 };
const withHole = row({
  coverage: {
    covered: [
      { from: "2026-12-05T12:00:00.000Z", to: "2026-12-05T14:30:00.000Z", seconds: 9000 },
      { from: "2026-12-05T14:33:09.000Z", to: "2026-12-05T16:00:00.000Z", seconds: 5211 },
    ],
    pending: [],
    holes: [hole],
  },
});

test("statusProblems: each hole in an enabled query's coverage, with its bounds and what to run; without --max-lag too", () => {
  assert.deepEqual(statusProblems([withHole]), [
    "q: HOLE in coverage 2026-12-05T14:30:00.000Z–2026-12-05T14:33:09.000Z: no backfill range and not the live export owns it, so rows ingested there were never exported; run monitorlift backfill --fill-holes --query q",
  ]);
  assert.deepEqual(statusProblems([{ ...withHole, enabled: false }]), [], "a disabled query is not checked");
  const pendingOnly = row({ coverage: { covered: [], pending: [hole], holes: [] } });
  assert.deepEqual(statusProblems([pendingOnly]), [], "an unfinished backfill is pending, not a hole");
});

test("formatStatusTable: the covered ranges, pending parts and each HOLE under the query", () => {
  const text = formatStatusTable([{ ...withHole, coverage: { ...withHole.coverage!, pending: [{ from: "2026-12-05T10:00:00.000Z", to: "2026-12-05T11:00:00.000Z", seconds: 3600 }] } }]);
  const lines = text.split("\n").slice(2);
  assert.deepEqual(lines, [
    "  q covered: 2026-12-05T12:00:00.000Z–2026-12-05T14:30:00.000Z, 2026-12-05T14:33:09.000Z–2026-12-05T16:00:00.000Z",
    "  q pending 2026-12-05T10:00:00.000Z–2026-12-05T11:00:00.000Z: an unfinished backfill range owns it (re-run that backfill, or backfill --fill-holes)",
    "  q HOLE 2026-12-05T14:30:00.000Z–2026-12-05T14:33:09.000Z (3m9s): no backfill range and not the live export owns it, so rows ingested there were never exported (monitorlift backfill --fill-holes --query q)",
  ]);
  assert.equal(formatStatusTable([row({ coverage: { covered: [], pending: [], holes: [] } })]).split("\n").length, 2, "nothing stored: no coverage lines");
});

const rewound = { runId: "w", finishedAt: "2026-12-01T00:02:00.000Z", from: "2026-12-01T00:30:00.000Z", to: "2026-12-01T00:00:00.000Z", windows: 3, rows: 120 };

test("formatStatusTable: the latest rewind under its query, saying whether a run came after it", () => {
  const lines = formatStatusTable([row({ lastRun: ok, lastRewind: rewound })]).split("\n");
  assert.match(lines[1]!, /ok, 5 rows$/, "the last run stays the export's");
  assert.deepEqual(lines.slice(2), [
    "  q rewound 2026-12-01T00:02:00.000Z: watermark 2026-12-01T00:30:00.000Z → 2026-12-01T00:00:00.000Z, 3 committed windows and 120 rows removed; no run since",
  ]);
  const after = formatStatusTable([row({ lastRun: { ...ok, finishedAt: "2026-12-01T00:03:00.000Z" }, lastRewind: { ...rewound, windows: 1, rows: 1 } })]).split("\n");
  assert.deepEqual(after.slice(2), ["  q rewound 2026-12-01T00:02:00.000Z: watermark 2026-12-01T00:30:00.000Z → 2026-12-01T00:00:00.000Z, 1 committed window and 1 row removed"]);
  assert.equal(formatStatusTable([row({ lastRun: ok })]).split("\n").length, 2, "no rewind: no line");
});

test("statusProblems: a rewind is no problem and hides none: a failed last run still fails the check", () => {
  assert.deepEqual(statusProblems([row({ lastRun: ok, lastRewind: rewound })]), []);
  assert.deepEqual(statusProblems([row({ lastRun: { ...ok, outcome: "failed", error: { code: "SOURCE_AUTH", message: "m" } }, lastRewind: rewound })]), [
    "q: the last run (2026-12-01T00:01:00.000Z) failed with SOURCE_AUTH",
  ]);
});
