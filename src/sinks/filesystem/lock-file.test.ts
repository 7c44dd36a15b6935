import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SinkError } from "../../errors.ts";
import type { HeldLock, StateKey } from "../sink.ts";
import { makeSink, tempRoot } from "../../../test/support/filesystem-sink.ts";
import { startUnreaped, untilZombie } from "../../../test/support/zombie.ts";
import { LockHeldError } from "../../state/locks.ts";
import { setTimeout as sleep } from "node:timers/promises";

const key: StateKey = { query: "AppRequests", scope: "live" };
const LOCK = "_locks/AppRequests/live.lock";

async function readHolder(dir: string): Promise<{ pid: number; hostname: string; token: string; startedAt: string }> {
  return JSON.parse(await readFile(path.join(dir, LOCK), "utf8")) as { pid: number; hostname: string; token: string; startedAt: string };
}

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(() => true, () => false);
}

test("the lock is exclusive between two sink instances and names its holder", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const a = makeSink(dir);
    const b = makeSink(dir);
    const lockA = await a.locks.acquire(key);
    const holder = await readHolder(dir);
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.hostname, os.hostname());
    await assert.rejects(b.locks.acquire(key), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.equal(err.code, "LOCK_HELD");
      assert.ok(err.message.includes(`${process.pid}@${os.hostname()} since ${holder.startedAt}`), err.message);
      assert.ok(err.message.includes(path.join(dir, LOCK)));
      return true;
    });
    // another scope of the same query is a different lock
    const other = await b.locks.acquire({ query: "AppRequests", scope: "backfill-20261101T000000.000Z-20261102T000000.000Z" });
    await lockA.release();
    await lockA.release();
    assert.equal(await exists(path.join(dir, LOCK)), false);
    const lockB = await b.locks.acquire(key);
    assert.equal(lockB.signal.aborted, false);
    await lockB.release();
    await other.release();
  } finally {
    await cleanup();
  }
});

test("the heartbeat refreshes the lock's mtime", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir, {}, { lockHeartbeatMs: 50 });
    const lock = await sink.locks.acquire(key);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, LOCK), old, old);
    await new Promise((r) => setTimeout(r, 200));
    const { stat } = await import("node:fs/promises");
    assert.ok(Date.now() - (await stat(path.join(dir, LOCK))).mtimeMs < 1_000);
    // so a contender with a short stale limit still sees it held
    await assert.rejects(makeSink(dir, {}, { lockStaleMs: 1_000 }).locks.acquire(key), (err: unknown) => err instanceof SinkError && err.code === "LOCK_HELD");
    await lock.release();
  } finally {
    await cleanup();
  }
});

test("a process killed in the middle of a takeover (its takeover file left behind) does not block the next run", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    // A process that existed and is gone (reaped): the holder of both the stale lock and the takeover file.
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await once(child, "exit");
    const sink = makeSink(dir);
    const first = await sink.locks.acquire(key);
    const lockFile = path.join(dir, LOCK);
    const dead = { ...JSON.parse(await readFile(lockFile, "utf8")), pid: child.pid };
    await first.release();
    await writeFile(lockFile, `${JSON.stringify(dead)}\n`);
    await writeFile(`${lockFile}.takeover`, `${JSON.stringify(dead)}\n`); // fresh: not yet stale by age
    const started = Date.now();
    const lock = await makeSink(dir).locks.acquire(key);
    assert.ok(Date.now() - started < 5_000, `taken over at once (${Date.now() - started} ms), not after the takeover file's 10 s age limit`);
    assert.equal((await readHolder(dir)).pid, process.pid);
    await lock.release();
    assert.deepEqual(await readdir(path.join(dir, "_locks/AppRequests")), []);
  } finally {
    await cleanup();
  }
});

test("the lock of a killed process on this host is taken over at once", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sinkModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "filesystem-sink.ts");
    const loggerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../telemetry/logger.ts");
    const script = `
      import { createFilesystemSink } from ${JSON.stringify(sinkModule)};
      import { silentLogger } from ${JSON.stringify(loggerModule)};
      const sink = createFilesystemSink({ type: "filesystem", path: ${JSON.stringify(dir)}, format: "ndjson", compression: "none", fsync: true }, { logger: silentLogger(), env: {}, baseDir: "/" });
      await sink.locks.acquire({ query: "AppRequests", scope: "live" });
      process.stdout.write("locked\\n");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = once(child, "exit");
    let out = "";
    for await (const chunk of child.stdout) {
      out += String(chunk);
      if (out.includes("locked")) break;
    }
    assert.equal((await readHolder(dir)).pid, child.pid);
    // while it lives, the lock is held
    await assert.rejects(makeSink(dir).locks.acquire(key), (err: unknown) => err instanceof SinkError && err.code === "LOCK_HELD" && err.message.includes(`${child.pid}@`));
    child.kill("SIGKILL");
    await exited; // reaped: its pid no longer exists
    const lock = await makeSink(dir).locks.acquire(key); // default 60 s stale limit: the dead pid alone makes it stale
    assert.equal((await readHolder(dir)).pid, process.pid);
    await lock.release();
    assert.deepEqual(await readdir(path.join(dir, "_locks/AppRequests")), []);
  } finally {
    await cleanup();
  }
});

test("the lock of a killed process that is still a zombie (its parent did not reap it) is taken over at once", async () => {
  const { dir, cleanup } = await tempRoot();
  const sinkModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "filesystem-sink.ts");
  const loggerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../telemetry/logger.ts");
  const script = `
    import { createFilesystemSink } from ${JSON.stringify(sinkModule)};
    import { silentLogger } from ${JSON.stringify(loggerModule)};
    const sink = createFilesystemSink({ type: "filesystem", path: ${JSON.stringify(dir)}, format: "ndjson", compression: "none", fsync: true }, { logger: silentLogger(), env: {}, baseDir: "/" });
    await sink.locks.acquire({ query: "AppRequests", scope: "live" });
    setInterval(() => {}, 1000);
  `;
  const z = await startUnreaped([process.execPath, "--input-type=module", "-e", script], { outFile: path.join(dir, "out"), errFile: path.join(dir, "err") });
  try {
    while ((await readHolder(dir).catch(() => undefined))?.pid !== z.pid) await sleep(20);
    // while it lives, the lock is held by a live holder
    await assert.rejects(makeSink(dir).locks.acquire(key), (err: unknown) => err instanceof LockHeldError && err.holder.state === "live");
    process.kill(z.pid, "SIGKILL");
    await untilZombie(z.pid); // dead, but its pid still answers kill(pid, 0)
    const lock = await makeSink(dir).locks.acquire(key);
    assert.equal((await readHolder(dir)).pid, process.pid);
    await lock.release();
  } finally {
    z.close();
    await cleanup();
  }
});

test("a dead pid is only trusted from the same host name and pid namespace", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const { mkdir, readlink, writeFile } = await import("node:fs/promises");
    const ours = await readlink("/proc/self/ns/pid").catch(() => undefined);
    const deadPid = 4_194_400; // above the largest pid_max Linux allows: never a live process
    const write = (extra: object) =>
      writeFile(path.join(dir, LOCK), JSON.stringify({ pid: deadPid, hostname: os.hostname(), token: "t", startedAt: "2026-11-22T03:00:00.000Z", ...extra }));
    await mkdir(path.dirname(path.join(dir, LOCK)), { recursive: true });
    await write({ hostname: "another-host" });
    await assert.rejects(makeSink(dir).locks.acquire(key), (err: unknown) => err instanceof SinkError && err.code === "LOCK_HELD" && err.message.includes(`${deadPid}@another-host`));
    if (ours) {
      await write({ pidNamespace: "pid:[1]" }); // same host name, another container
      await assert.rejects(makeSink(dir).locks.acquire(key), (err: unknown) => err instanceof SinkError && err.code === "LOCK_HELD");
    }
    await write(ours ? { pidNamespace: ours } : {});
    const lock = await makeSink(dir).locks.acquire(key);
    assert.equal((await readHolder(dir)).pid, process.pid);
    await lock.release();
  } finally {
    await cleanup();
  }
});

test("a lock not refreshed for the stale limit is taken over, and the old holder's signal aborts", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const old = makeSink(dir, {}, { lockHeartbeatMs: 300 });
    const oldLock = await old.locks.acquire(key);
    const oldToken = (await readHolder(dir)).token;
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, LOCK), past, past); // as if its process hung for an hour
    const newLock = await makeSink(dir, {}, { lockStaleMs: 60_000 }).locks.acquire(key);
    const newToken = (await readHolder(dir)).token;
    assert.notEqual(newToken, oldToken);
    if (!oldLock.signal.aborted) await once(oldLock.signal, "abort");
    const reason: unknown = oldLock.signal.reason;
    assert.ok(reason instanceof SinkError && reason.code === "LOCK_LOST" && /taken over/.test(reason.message));
    assert.equal(newLock.signal.aborted, false);
    await oldLock.release(); // must not delete the new holder's lock
    assert.equal((await readHolder(dir)).token, newToken);
    await newLock.release();
    assert.equal(await exists(path.join(dir, LOCK)), false);
  } finally {
    await cleanup();
  }
});

test("two contenders racing for one stale lock: exactly one wins", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    for (let round = 0; round < 5; round++) {
      const stale = await makeSink(dir, {}, { lockHeartbeatMs: 60_000 }).locks.acquire(key);
      const past = new Date(Date.now() - 3_600_000);
      await utimes(path.join(dir, LOCK), past, past);
      const contenders = [makeSink(dir), makeSink(dir), makeSink(dir)];
      const results = await Promise.allSettled(contenders.map((s) => s.locks.acquire(key)));
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.status).join(",")}`);
      for (const r of results) if (r.status === "rejected") assert.equal((r.reason as SinkError).code, "LOCK_HELD");
      const winner = (won[0] as PromiseFulfilledResult<HeldLock>).value;
      assert.equal(winner.signal.aborted, false);
      await winner.release();
      await stale.release();
      assert.deepEqual(await readdir(path.join(dir, "_locks/AppRequests")), []);
    }
  } finally {
    await cleanup();
  }
});

test("three processes racing for one stale lock: exactly one wins", async () => {
  const { dir, cleanup } = await tempRoot();
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const stale = await makeSink(dir, {}, { lockHeartbeatMs: 60_000 }).locks.acquire(key);
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, LOCK), past, past);
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      import { createFilesystemSink } from ${JSON.stringify(path.join(here, "filesystem-sink.ts"))};
      import { silentLogger } from ${JSON.stringify(path.join(here, "../../telemetry/logger.ts"))};
      const sink = createFilesystemSink({ type: "filesystem", path: ${JSON.stringify(dir)}, format: "ndjson", compression: "none", fsync: true }, { logger: silentLogger(), env: {}, baseDir: "/" });
      process.stdout.write("ready\\n");
      process.stdin.once("data", async () => {
        try {
          await sink.locks.acquire({ query: "AppRequests", scope: "live" });
          process.stdout.write("won\\n");
          setInterval(() => {}, 1000);
        } catch (err) {
          process.stdout.write("lost:" + err.code + "\\n");
          process.exit(0);
        }
      });
    `;
    const outputs: Promise<string>[] = [];
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
      children.push(child);
      let out = "";
      child.stdout!.on("data", (chunk) => (out += String(chunk)));
      outputs.push(
        (async () => {
          while (!/(won|lost:\w+)\n/.test(out)) await new Promise((r) => setTimeout(r, 10));
          return /(won|lost:\w+)\n/.exec(out)![1]!;
        })(),
      );
      while (!out.includes("ready")) await new Promise((r) => setTimeout(r, 10));
    }
    for (const child of children) child.stdin!.write("go\n");
    const results = await Promise.all(outputs);
    assert.deepEqual([...results].sort(), ["lost:LOCK_HELD", "lost:LOCK_HELD", "won"]);
    await stale.release(); // not ours any more: must leave the winner's lock
    assert.equal((await readHolder(dir)).pid, children[results.indexOf("won")]!.pid);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await cleanup();
  }
});

test("a deleted lock file aborts its holder's signal", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const lock = await makeSink(dir, {}, { lockHeartbeatMs: 30 }).locks.acquire(key);
    const { unlink } = await import("node:fs/promises");
    await unlink(path.join(dir, LOCK));
    if (!lock.signal.aborted) await once(lock.signal, "abort");
    assert.equal((lock.signal.reason as SinkError).code, "LOCK_LOST");
    await lock.release();
  } finally {
    await cleanup();
  }
});

test("shutdown releases the locks still held", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    await sink.locks.acquire(key);
    await sink.shutdown();
    assert.equal(await exists(path.join(dir, LOCK)), false);
  } finally {
    await cleanup();
  }
});
