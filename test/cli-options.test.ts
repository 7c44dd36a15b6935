/**
 * The CLI's global options as a user meets them: --version, log options checked against their closed
 * sets (usage error, exit 2, naming the allowed values), a reader that closes the pipe early ends quietly,
 * and readable logs carry UTC times like the windows they describe.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { createLogger } from "../src/telemetry/logger.ts";
import { VERSION } from "../src/version.ts";
import { CLI, runCli } from "./support/cli.ts";

test("--version and -V print the package version", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), VERSION);
  }
});

test("--log-level and --log-format outside their sets are usage errors naming the allowed values", async () => {
  const level = await runCli(["--log-level", "loud", "status", "-c", "nowhere.json"]);
  assert.equal(level.code, 2);
  assert.match(level.stderr, /'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/);
  assert.doesNotMatch(level.stderr, /\n\s+at /, "no stack trace");
  const format = await runCli(["--log-format", "xml", "status", "-c", "nowhere.json"]);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /'xml' is invalid\. Allowed choices are json, pretty/);
});

test("output piped into a reader that closes early ends quietly (no EPIPE trace)", async () => {
  // `monitorlift --help | head -1`: head exits after its first line while the help is still being written.
  for (let i = 0; i < 5; i++) {
    const child = spawn("sh", ["-c", `"${process.execPath}" "${CLI}" --help | head -1`], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: monitorlift/);
    assert.equal(stderr, "", "nothing on stderr");
  }
});

test("readable logs show UTC times", () => {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  const log = createLogger({ pretty: true, destination: out });
  const before = new Date();
  log.info("hello");
  const hhmm = before.toISOString().slice(11, 16);
  assert.match(text, new RegExp(`\\[${hhmm}:\\d\\d\\.\\d{3}Z\\] INFO`), text);
});
