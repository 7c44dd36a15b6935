/**
 * The scheduler never runs two runs at once: a tick that fires while a run is going is skipped (and
 * logged), yet still counts as a heartbeat; stopping waits for the current run. Real cron, every second.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../telemetry/logger.ts";
import { runOnSchedule } from "./scheduler.ts";

test("runs never overlap: ticks during a run are skipped, but each is a heartbeat with a future next fire", { timeout: 20_000 }, async () => {
  const controller = new AbortController();
  const logger = silentLogger();
  const skipped: unknown[] = [];
  logger.warn = ((obj: unknown) => void skipped.push(obj)) as typeof logger.warn;
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const beats: Array<{ at: number; next: number | undefined }> = [];
  const done = runOnSchedule(
    { expression: "* * * * * *", logger, signal: controller.signal, onTick: (next) => beats.push({ at: Date.now(), next }) },
    async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 2300)); // longer than two ticks
      active--;
    },
  );
  await new Promise((r) => setTimeout(r, 5200));
  controller.abort();
  const t0 = Date.now();
  await done;
  assert.equal(active, 0, "stopping waited for the run in progress");
  assert.ok(Date.now() - t0 < 2500);
  assert.equal(maxActive, 1, "never two runs at once");
  assert.ok(runs >= 2 && runs <= 3, `runs: ${runs}`);
  assert.ok(skipped.length >= 2, `the ticks during a run were skipped and logged: ${skipped.length}`);
  assert.ok(beats.length >= 5, `heartbeats on every tick, skipped or not: ${beats.length}`);
  for (const b of beats) assert.ok(b.next !== undefined && b.next > b.at && b.next <= b.at + 1000, `the next fire is the coming second: ${JSON.stringify(b)}`);
});
