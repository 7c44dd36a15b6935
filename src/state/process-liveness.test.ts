import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processGone, procState } from "./process-liveness.ts";
import { startUnreaped, untilZombie } from "../../test/support/zombie.ts";

test("a running process is not gone; a pid that does not exist is", () => {
  assert.equal(processGone(process.pid), false);
  assert.equal(processGone(2 ** 22 + 12345), true); // above the kernel's pid_max
  assert.equal(processGone(0), true);
});

test("a zombie (exited, not reaped by its parent) is gone, although kill(pid, 0) still succeeds", async () => {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-zombie-"));
  const z = await startUnreaped(["sleep", "0.05"], { outFile: join(dir, "out"), errFile: join(dir, "err") });
  try {
    await untilZombie(z.pid);
    assert.equal(procState(z.pid), "Z");
    assert.doesNotThrow(() => process.kill(z.pid, 0), "the signal check alone takes a zombie for alive");
    assert.equal(processGone(z.pid), true);
  } finally {
    z.close();
    await rm(dir, { recursive: true, force: true });
  }
});
