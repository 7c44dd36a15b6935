/**
 * A full output disk: the window being written fails with a clear SINK_WRITE error naming the path,
 * the watermark stays at the last window that was completely written, and once there is room again
 * the next run finishes the export exactly once. Needs a small tmpfs (root in a sandbox that allows
 * mounts); skipped with a notice where mounting is not allowed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { createManualClock } from "../src/simulator/index.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness } from "./support/harness.ts";

test("ENOSPC mid-export: loud error, watermark before the failed window, completed after more room", async (t) => {
  const h = await startHarness({
    sim: { clock: createManualClock(Date.parse("2026-11-22T12:00:00Z")), seed: 71, backfill: "PT4H", rowsPerSecond: 1, tables: ["AppRequests"] },
    config: { window: { size: "PT10M", lag: "PT1M", start: "PT3H" } },
  });
  const mnt = join(h.dir, "small-disk");
  await mkdir(mnt);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]);
  try {
    if (mounted.status !== 0) {
      t.diagnostic(`NOTICE: cannot mount a tmpfs here (${String(mounted.stderr).trim()}); skipping the full-disk test`);
      t.skip("mounting a tmpfs is not allowed here");
      return;
    }
    await h.writeConfig({ sink: { type: "filesystem", path: mnt, format: "ndjson", compression: "none" } });
    const first = await h.exportOnce();
    const err = first.errors.get("requests") as { code?: string; message?: string } | undefined;
    assert.equal(err?.code, "SINK_WRITE", String(err));
    assert.match(err.message!, /small-disk/);
    assert.match(err.message!, /ENOSPC|no space|full/i);
    const wm = await h.watermark("requests");
    assert.ok(wm, "some windows fitted before the disk was full");
    assert.ok(wm.watermark < Date.parse("2026-11-22T11:50:00Z"), "the export stopped part-way");
    const partial = (await readQueryRows(mnt, "requests")).map((r) => String(r._ItemId));
    assert.deepEqual(compareItemIds(partial, h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark })), {
      missing: [],
      duplicated: [],
      unexpected: [],
    });

    assert.equal(spawnSync("mount", ["-o", "remount,size=64m", mnt]).status, 0, "grow the disk");
    const second = await h.exportOnce();
    assert.equal(second.errors.size, 0, [...second.errors.values()].map(String).join("\n"));
    const done = (await h.watermark("requests"))!;
    const all = (await readQueryRows(mnt, "requests")).map((r) => String(r._ItemId));
    assert.deepEqual(compareItemIds(all, h.sim.truth("AppRequests", { ingestedFrom: done.origin, ingestedBefore: done.watermark })), {
      missing: [],
      duplicated: [],
      unexpected: [],
    });
  } finally {
    if (mounted.status === 0) spawnSync("umount", [mnt]);
    await rmdir(mnt).catch(() => undefined);
    await h.close();
  }
});
