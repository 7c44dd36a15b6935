import assert from "node:assert/strict";
import { test } from "node:test";
import { type Fault, FaultController, FaultSpecError, parseFault, parseFaultConfig } from "./faults.ts";

test("fault text parses into faults", () => {
  assert.deepEqual(parseFault("ok"), { kind: "ok" });
  // Retry-After: 0 unless told otherwise, as the service's gateway sends
  assert.deepEqual(parseFault("429"), { kind: "429", retryAfterSeconds: 0 });
  assert.deepEqual(parseFault("429:7"), { kind: "429", retryAfterSeconds: 7 });
  assert.deepEqual(parseFault("503"), { kind: "503", retryAfterSeconds: 0 });
  assert.deepEqual(parseFault("503:none"), { kind: "503" });
  assert.deepEqual(parseFault("503:2"), { kind: "503", retryAfterSeconds: 2 });
  assert.deepEqual(parseFault("slow:5000"), { kind: "slow", delayMs: 5000 });
  assert.deepEqual(parseFault("reset"), { kind: "reset", fraction: 0.5 });
  assert.deepEqual(parseFault("reset:0.25"), { kind: "reset", fraction: 0.25 });
  assert.deepEqual(parseFault("partial:10"), { kind: "partial", rows: 10 });
  assert.deepEqual(parseFault("engine"), { kind: "engine" });
  assert.deepEqual(parseFault("engine:3"), { kind: "engine", rows: 3 });
  assert.deepEqual(parseFault("401"), { kind: "401" });
  assert.deepEqual(parseFault("403"), { kind: "403" });
  assert.throws(() => parseFault("403:1"), FaultSpecError);
  assert.throws(() => parseFault("slow"), FaultSpecError);
  assert.throws(() => parseFault("404"), FaultSpecError);
  assert.throws(() => parseFault("reset:2"), FaultSpecError);
});

test("the CLI fault config form parses probabilities and parameters", () => {
  const c = parseFaultConfig("429=0.05:3,503=0.02,500=0.01,reset=0.01:0.3,slow=0.01:5000,partial=0.01:100,seed=9");
  assert.deepEqual(c, {
    probabilities: { "429": 0.05, "503": 0.02, "500": 0.01, reset: 0.01, slow: 0.01, partial: 0.01 },
    retryAfterSeconds: 3,
    resetFraction: 0.3,
    slowMs: 5000,
    partialRows: 100,
    seed: 9,
  });
  assert.throws(() => parseFaultConfig("429=0.7,503=0.5"), /must not exceed 1/);
  assert.throws(() => parseFaultConfig("teapot=0.1"), FaultSpecError);
  assert.throws(() => parseFaultConfig("429"), FaultSpecError);
});

test("queued faults come first, in order, optionally only for matching queries", () => {
  const f = new FaultController();
  f.enqueue(["429", "reset", "ok"]);
  f.enqueue(["500"], { match: "AppTraces" });
  assert.equal(f.queued(), 4);
  assert.equal(f.next(["AppRequests | take 1"]).kind, "429");
  assert.equal(f.next(["AppTraces | take 1"]).kind, "reset");
  assert.equal(f.next(["AppRequests"]).kind, "ok");
  assert.equal(f.next(["AppRequests"]).kind, "ok"); // the 500 waits for a matching query
  assert.equal(f.next(["AppTraces | count"]).kind, "500");
  assert.equal(f.queued(), 0);
  assert.deepEqual(f.injected(), { "429": 1, reset: 1, "500": 1 });
});

test("random faults are seeded: same seed, same sequence; rates roughly as configured", () => {
  const run = (seed: number) => {
    const f = new FaultController({ seed, probabilities: { "429": 0.2, reset: 0.1 }, retryAfterSeconds: 2 });
    return Array.from({ length: 2000 }, () => f.next(["q"]));
  };
  const a = run(5);
  assert.deepEqual(a, run(5));
  assert.notDeepEqual(a, run(6));
  const count = (kind: Fault["kind"]) => a.filter((x) => x.kind === kind).length;
  assert.ok(Math.abs(count("429") - 400) < 80, `429s: ${count("429")}`);
  assert.ok(Math.abs(count("reset") - 200) < 60, `resets: ${count("reset")}`);
  assert.deepEqual(a.find((x) => x.kind === "429"), { kind: "429", retryAfterSeconds: 2 });
});

test("config can be replaced or merged at runtime, and match limits random faults", () => {
  const f = new FaultController({ probabilities: { "500": 1 } });
  assert.equal(f.next(["x"]).kind, "500");
  f.merge({ match: "AppEvents" });
  assert.equal(f.next(["AppRequests"]).kind, "ok");
  assert.equal(f.next(["AppEvents | take 3"]).kind, "500");
  f.set({});
  assert.equal(f.next(["AppEvents"]).kind, "ok");
  assert.deepEqual(f.config(), {});
});
