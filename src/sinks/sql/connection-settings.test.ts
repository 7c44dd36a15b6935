import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sqlSinkSchema } from "../../config/sinks.ts";
import { ConfigError } from "../../errors.ts";
import { sqlSinkConfig } from "./config.ts";
import { resolveServerSettings, tlsOptions } from "./connection-settings.ts";

const cfg = (o: Record<string, unknown>) => sqlSinkSchema.parse({ type: "sql", dialect: "postgres", ...o });
const deps = (env: Record<string, string> = {}) => ({ env, baseDir: "/etc/monitorlift" });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

describe("sql connection settings", () => {
  it("reads a URL, keeps the password for the driver only", () => {
    const s = resolveServerSettings(cfg({ url: "postgres://alice:s3cr%40t@db.example.com:6543/tele%20metry" }), deps());
    assert.deepEqual(
      { host: s.host, port: s.port, database: s.database, user: s.user, password: s.password },
      { host: "db.example.com", port: 6543, database: "tele metry", user: "alice", password: "s3cr@t" },
    );
    assert.equal(s.description, "sql postgres db.example.com:6543/tele metry");
    assert.ok(!s.description.includes("alice") && !s.description.includes("s3cr"));
  });

  it("urlEnv wins over url; passwordEnv supplies or replaces the password", () => {
    const s = resolveServerSettings(
      cfg({ url: "postgres://ignored@a:1/x", urlEnv: "PG_URL", passwordEnv: "PG_PASS" }),
      deps({ PG_URL: "postgresql://bob:old@b.example.com/db", PG_PASS: "new" }),
    );
    assert.equal(s.host, "b.example.com");
    assert.equal(s.port, 5432);
    assert.equal(s.user, "bob");
    assert.equal(s.password, "new");
  });

  it("builds from host, port, database and user, with mysql's default port", () => {
    const s = resolveServerSettings(
      sqlSinkSchema.parse({ type: "sql", dialect: "mysql", host: "my.example.com", database: "d", user: "u", passwordEnv: "P" }),
      deps({ P: "pw" }),
    );
    assert.deepEqual([s.host, s.port, s.database, s.user, s.password], ["my.example.com", 3306, "d", "u", "pw"]);
    assert.equal(s.description, "sql mysql my.example.com:3306/d");
  });

  it("names missing environment variables and never echoes a URL", () => {
    assert.match(configError(() => resolveServerSettings(cfg({ urlEnv: "NOPE" }), deps())).message, /NOPE/);
    assert.match(configError(() => resolveServerSettings(cfg({ host: "h", passwordEnv: "NOPW" }), deps())).message, /NOPW/);
    const bad = configError(() => resolveServerSettings(cfg({ url: "postgres://u:hunter2@[bad" }), deps()));
    assert.ok(!bad.message.includes("hunter2"), bad.message);
    // sink.url's scheme is a config rule (./config.test.ts); the URL in urlEnv is only known here
    assert.match(configError(() => resolveServerSettings(cfg({ urlEnv: "PG_URL" }), deps({ PG_URL: "mysql://h/db" }))).message, /postgres:\/\//);
    assert.match(configError(() => resolveServerSettings(cfg({ url: "postgres://h/db?application_name=x" }), deps())).message, /application_name/);
    assert.match(configError(() => resolveServerSettings(cfg({}), deps())).message, /sink\.url, sink\.urlEnv or sink\.host/);
  });

  it("TLS: config mode, else the URL's sslmode; require skips certificate checks, verify-full checks them", () => {
    assert.equal(resolveServerSettings(cfg({ url: "postgres://h/db?sslmode=require" }), deps()).tls.mode, "require");
    assert.equal(resolveServerSettings(cfg({ url: "postgres://h/db?sslmode=require", tls: { mode: "verify-full" } }), deps()).tls.mode, "verify-full");
    assert.equal(resolveServerSettings(cfg({ url: "postgres://h/db" }), deps()).description, "sql postgres h:5432/db");
    assert.equal(resolveServerSettings(cfg({ url: "postgres://h/db?sslmode=verify-full" }), deps()).description, "sql postgres h:5432/db (tls verify-full)");
    assert.equal(tlsOptions({ mode: "disable" }, "h"), false);
    assert.deepEqual(tlsOptions({ mode: "require" }, "h"), { rejectUnauthorized: false });
    const ca = Buffer.from("pem");
    assert.deepEqual(tlsOptions({ mode: "verify-full", ca }, "db.example.com"), { rejectUnauthorized: true, ca, servername: "db.example.com" });
    assert.deepEqual(tlsOptions({ mode: "verify-full" }, "10.0.0.1"), { rejectUnauthorized: true });
  });

  it("reads caFile relative to the config folder (made absolute by the config's normalisation)", () => {
    const dir = mkdtempSync(join(tmpdir(), "monitorlift-ca-"));
    try {
      writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----");
      const normalised = (o: Record<string, unknown>) => sqlSinkConfig.normalise(cfg(o), { baseDir: dir });
      const s = resolveServerSettings(normalised({ host: "h", tls: { mode: "verify-full", caFile: "ca.pem" } }), { env: {} });
      assert.equal(s.tls.ca?.toString(), "-----BEGIN CERTIFICATE-----");
      assert.match(configError(() => resolveServerSettings(normalised({ host: "h", tls: { mode: "verify-full", caFile: "missing.pem" } }), { env: {} })).message, /missing\.pem/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
