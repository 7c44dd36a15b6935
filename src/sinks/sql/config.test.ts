import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqlSinkConfig, sqlSinkSchema } from "./config.ts";

const sqlite = (o: Record<string, unknown>) => sqlSinkSchema.parse({ type: "sql", dialect: "sqlite", ...o });
const server = (dialect: "postgres" | "mysql", o: Record<string, unknown>) => sqlSinkSchema.parse({ type: "sql", dialect, ...o });
const ctx = { path: "sink", substituted: () => false };
const errorsOf = (config: ReturnType<typeof sqlite>) => sqlSinkConfig.check(sqlSinkConfig.normalise(config, { baseDir: "/" }), ctx).errors;

describe("sql sink config", () => {
  it("sqlite: path relative to the config folder; server settings are refused", () => {
    assert.equal(sqlSinkConfig.normalise(sqlite({ path: "data/export.db" }), { baseDir: "/srv/cfg" }).path, "/srv/cfg/data/export.db");
    assert.equal(sqlSinkConfig.normalise(sqlite({ path: "/abs/x.db" }), { baseDir: "/srv/cfg" }).path, "/abs/x.db");
    assert.match(errorsOf(sqlite({})).join("\n"), /sink\.path/);
    assert.match(errorsOf(sqlite({ path: "" })).join("\n"), /sink\.path/);
    assert.match(errorsOf(sqlite({ path: "x.db", url: "postgres://h/d" })).join("\n"), /sink\.url/);
  });

  it("tls.caFile is made absolute against the config folder", () => {
    const c = sqlSinkConfig.normalise(server("postgres", { host: "h", tls: { mode: "verify-full", caFile: "certs/ca.pem" } }), { baseDir: "/srv/cfg" });
    assert.equal(c.tls.caFile, "/srv/cfg/certs/ca.pem");
    assert.equal(sqlSinkConfig.normalise(server("postgres", { host: "h" }), { baseDir: "/srv/cfg" }).tls.caFile, undefined);
  });

  it("the rules name the key to change, under the sink block's path", () => {
    const found = sqlSinkConfig.check(server("mysql", { host: "h", schema: "s" }), { path: "outputs[0]", substituted: () => false });
    assert.deepEqual(found.errors, ["outputs[0].schema: only applies to dialect postgres"]);
  });
});
