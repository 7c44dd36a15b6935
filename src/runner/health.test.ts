/** The health state of a scheduled export on a fake clock: liveness from scheduler ticks, readiness from the last run's error categories. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, ConfigError, MonitorliftError, SinkError, SourceError } from "../errors.ts";
import { HealthState, isPermanentFailure } from "./health.ts";

function clock(start = Date.UTC(2026, 11, 4, 12)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("liveness: ok while ticks come on time; fails once the next expected tick is more than the slack late", () => {
  const c = clock();
  const h = new HealthState({ now: c.now, tickSlackMs: 60_000 });
  assert.equal(h.liveness().ok, true, "just started: the scheduler has the slack to arm itself");
  c.advance(61_000);
  assert.equal(h.liveness().ok, false, "never armed within the slack");
  h.tick(c.now() + 300_000); // armed: next fire in 5 minutes
  assert.equal(h.liveness().ok, true);
  c.advance(300_000 + 60_000);
  assert.equal(h.liveness().ok, true, "exactly at the bound: still ok");
  c.advance(1);
  const stalled = h.liveness();
  assert.equal(stalled.ok, false);
  assert.equal(stalled.body.scheduler, "stalled");
  h.tick(c.now() + 300_000);
  assert.equal(h.liveness().ok, true, "a late tick brings it back");
  h.tick(undefined); // a schedule that never fires again is not a stalled scheduler
  c.advance(10 * 86_400_000);
  assert.equal(h.liveness().ok, true);
});

test("liveness: a long run does not fail it as long as the scheduler keeps ticking (skipped ticks count)", () => {
  const c = clock();
  const h = new HealthState({ now: c.now, tickSlackMs: 1000 });
  h.tick(c.now() + 5000);
  h.runStarted();
  for (let i = 0; i < 10; i++) {
    c.advance(5000);
    h.tick(c.now() + 5000); // the tick is skipped by the scheduler (run still going) but was seen
    assert.equal(h.liveness().ok, true);
  }
  assert.equal(h.liveness().body.running, true);
});

test("readiness: config loaded and no permanent failure in the last run; transient failures and shutdown aborts keep it ready", () => {
  const c = clock();
  const h = new HealthState({ now: c.now });
  assert.equal(h.readiness().ok, false, "config not loaded yet");
  h.markConfigLoaded();
  assert.equal(h.readiness().ok, true, "no run yet");
  h.runStarted();
  h.runFinished(new Map([["requests", new SourceError("SOURCE_THROTTLED", "429")]]));
  assert.equal(h.readiness().ok, true, "transient: the next run may succeed");
  assert.equal((h.readiness().body.lastRun as { outcome: string }).outcome, "failed-transiently");
  h.runFinished(new Map([["requests", new AbortedError("stopped by SIGTERM")]]));
  assert.equal(h.readiness().ok, true, "a shutdown abort is not a failure of the query");
  h.runFinished(new Map([["requests", new SourceError("SOURCE_REQUEST_INVALID", "semantic error")]]));
  const failing = h.readiness();
  assert.equal(failing.ok, false);
  assert.deepEqual(failing.body.reasons, ["last run failed permanently"]);
  assert.deepEqual((failing.body.lastRun as { failedQueries: unknown }).failedQueries, [{ query: "requests", code: "SOURCE_REQUEST_INVALID", category: "permanent" }]);
  h.runFinished(new Map());
  assert.equal(h.readiness().ok, true, "a later clean run makes it ready again");
  h.markStopping();
  assert.deepEqual(h.readiness().body.reasons, ["stopping"]);
  assert.equal(h.liveness().ok, true, "stopping is not dead");
});

test("what counts as a permanent failure: categories permanent, auth, config and usage; not transient, not ABORTED; unknown errors are INTERNAL", () => {
  assert.equal(isPermanentFailure(new SourceError("SOURCE_AUTH", "403")), true);
  assert.equal(isPermanentFailure(new SourceError("SOURCE_CREDENTIAL", "no token")), true);
  assert.equal(isPermanentFailure(new SinkError("SINK_SCHEMA", "x")), true);
  assert.equal(isPermanentFailure(new ConfigError("bad")), true);
  assert.equal(isPermanentFailure(new SinkError("SINK_WRITE", "EAGAIN", { retryable: true })), false, "a category override counts, not the code");
  assert.equal(isPermanentFailure(new SourceError("SOURCE_UNAVAILABLE", "503")), false);
  assert.equal(isPermanentFailure(new MonitorliftError("ABORTED", "deadline")), false);
  assert.equal(isPermanentFailure(new TypeError("boom")), true);
});

test("bodies carry codes and query names, never an error message", () => {
  const sentinel = "SENTINEL-5ecret-AccountKey=abc123==";
  const h = new HealthState({ now: clock().now });
  h.markConfigLoaded();
  h.runFinished(new Map<string, unknown>([
    ["a", new SourceError("SOURCE_AUTH", `denied for ${sentinel}`)],
    ["b", new Error(`DefaultEndpointsProtocol=https;AccountKey=${sentinel}`)],
  ]));
  const text = JSON.stringify([h.readiness().body, h.liveness().body]);
  assert.doesNotMatch(text, /SENTINEL|AccountKey/);
  assert.match(text, /"code":"SOURCE_AUTH"/);
  assert.match(text, /"code":"INTERNAL"/);
});
