/**
 * The backfill progress bar on a terminal (issue 13, point 6): it stays on screen — each committed
 * window is logged at debug (the bar shows it), and any other log line (a retry's warning) is printed
 * above the bar, which is redrawn right after it; with `--log-format json` there is no bar, the
 * progress is logged; when stderr is not a TTY there is no bar either. The CLI runs on a real
 * pseudo-terminal (util-linux `script`, test/support/pty.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { haveScript, runCliOnTty } from "./support/pty.ts";

const noScript = !haveScript() && "util-linux `script` is needed for a pseudo-terminal";
const BAR = /backfill \[[█░]+\] \d+% \| \d+ rows \| ETA/;

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: { seed: 61, backfill: "PT6H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
    config: { window: { size: "PT5M", lag: "PT10S", start: "PT1H" }, log: { level: "info" }, concurrency: 1 },
  });
});
after(() => h?.close());

/** The log lines' levels and the bar's redraws, in the order the terminal received them. */
function sequence(output: string): string[] {
  // a readable log line starts "[time] LEVEL:", the level coloured on a terminal
  return [...output.matchAll(/\] (?:\x1b\[\d+m)?(INFO|WARN|ERROR|DEBUG)(?:\x1b\[39m)?:|backfill \[/g)].map((m) => m[1] ?? "bar");
}

test("on a TTY the bar stays: no per-window INFO lines, a warning is printed above the bar and the bar is redrawn after it", { skip: noScript, timeout: 120_000 }, async () => {
  h.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 120 }); // the run lasts a few seconds: the bar is drawn many times
  h.sim.faults.enqueue(["503", "503"]); // two retries: two warnings while the bar is drawn
  const r = await runCliOnTty(["backfill", "--from", "PT5H", "--to", "PT3H", "--config", h.configPath]);
  h.sim.faults.set({});
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, BAR);
  assert.match(r.output, /ok +requests: \d+ rows in 24 windows/);
  assert.doesNotMatch(r.output, /window committed/, "each window is at debug while the bar shows them");
  const seq = sequence(r.output);
  const warnings = seq.flatMap((s, i) => (s === "WARN" ? [i] : []));
  assert.equal(warnings.length, 2, seq.join(" "));
  const firstBar = seq.indexOf("bar");
  const lastBar = seq.lastIndexOf("bar");
  for (const i of warnings) {
    // (the first warning may come before the bar's first frame: it is printed above it all the same)
    assert.ok(i < lastBar, `the warnings came while the bar was up: ${seq.join(" ")}`);
    // log lines waiting for the next frame are printed together above it (two quick retries: WARN WARN bar)
    const next = seq.slice(i + 1).find((s) => s !== "WARN");
    assert.equal(next, "bar", `the bar is drawn right after the warning: ${seq.join(" ")}`);
  }
  assert.deepEqual(seq.slice(firstBar, lastBar + 1).filter((s) => s === "INFO"), [], "no INFO line between the bar's first and last drawing");
});

test("on a TTY with --log-format json: no bar, the progress is logged as JSON lines", { skip: noScript, timeout: 120_000 }, async () => {
  const r = await runCliOnTty(["backfill", "--from", "PT3H", "--to", "PT2H", "--config", h.configPath, "--log-format", "json"]);
  assert.equal(r.code, 0, r.output);
  assert.doesNotMatch(r.output, /backfill \[/);
  assert.match(r.output, /"msg":"backfill progress"/);
  assert.match(r.output, /"msg":"window committed"/);
});

test("stderr not a TTY (readable logs forced): no bar, progress lines in the log", { timeout: 120_000 }, async () => {
  const r = await runCli(["backfill", "--from", "PT2H", "--to", "PT1H", "--config", h.configPath, "--log-format", "pretty"]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /backfill \[/);
  assert.match(r.stderr, /backfill progress/);
});
