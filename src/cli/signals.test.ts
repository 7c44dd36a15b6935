import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, SinkError } from "../errors.ts";
import { isStopCancellation, SignalStop, stoppedBy } from "./signals.ts";

test("a cancellation after a signal's stop is a clean stop; after another abort, or another error, it is not", () => {
  const bySignal = new AbortController();
  bySignal.abort(new SignalStop("SIGTERM"));
  assert.equal(stoppedBy(bySignal.signal), "SIGTERM");
  // e.g. the sink's start stopped by the signal (filesystem-sink.ts, lock-file.ts: ABORTED with the signal's reason)
  assert.equal(isStopCancellation(new AbortedError("stopped before probing /x", { cause: bySignal.signal.reason }), bySignal.signal), true);
  assert.equal(isStopCancellation(new SinkError("SINK_WRITE", "disk full"), bySignal.signal), false, "a real failure stays one");
  const notYet = new AbortController();
  assert.equal(isStopCancellation(new AbortedError("stopped"), notYet.signal), false, "no signal yet: an ABORTED is a failure");
  const deadline = new AbortController();
  deadline.abort(new AbortedError("deadline"));
  assert.equal(isStopCancellation(new AbortedError("stopped"), deadline.signal), false, "aborted, but not by a signal");
});
