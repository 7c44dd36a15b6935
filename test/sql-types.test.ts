/**
 * Fidelity through the whole pipeline into SQL: every column of the simulator's MonitorliftTypes
 * table (edge values of every Log Analytics type, a null in each column) is exported by the
 * real exporter, read back with a plain SELECT, and compared cell by cell with the service's raw
 * wire text: exact companion columns (datetime __text, timespan __ticks, MySQL decimal __text)
 * and each typed column as exact as the database allows, the documented exceptions included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { ResultParser } from "../src/source/result-parser.ts";
import type { Column, ColumnType, RawRow } from "../src/table.ts";
import { startHarness } from "./support/harness.ts";
import { DIALECTS, describeSql, errorsOf, type DialectName } from "./support/sql-target.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

/** A physical column's expected value, and the SELECT expression reading it (placeholder %s: the quoted column). */
interface Expect {
  column: string;
  select: string;
  value: unknown;
}

// ---- independent readings of the wire text ----
const text = (raw: string): string | null => JSON.parse(raw) as string | null;

/** "YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z" → the fixed-width 7-digit form. */
function canonical(raw: string): string | null {
  const s = text(raw);
  if (s === null) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z$/.exec(s);
  assert.ok(m, `wire datetime ${s}`);
  return `${m[1]}.${(m[2] ?? "").padEnd(7, "0")}Z`;
}

/** "[-][d.]hh:mm:ss[.fffffff]" → 100 ns ticks. */
function ticks(raw: string): bigint | null {
  const s = text(raw);
  if (s === null) return null;
  const m = /^(-?)(?:(\d+)\.)?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?$/.exec(s);
  assert.ok(m, `wire timespan ${s}`);
  const [, sign, d = "0", hh, mm, ss, f = ""] = m;
  const t = (((BigInt(d) * 24n + BigInt(hh!)) * 60n + BigInt(mm!)) * 60n + BigInt(ss!)) * 10_000_000n + BigInt(f.padEnd(7, "0"));
  return sign === "-" ? -t : t;
}

function real(raw: string): number | null {
  if (raw === "null") return null;
  return raw.startsWith('"') ? Number(JSON.parse(raw)) : Number(raw);
}

/**
 * A dynamic cell by the documented rule: a string whose text is a JSON object or array is that JSON; anything
 * else stays the string the service sent (a dynamic "42" is never the number 42). `dynamicText` is the JSON
 * text a sink stores verbatim (MariaDB, SQLite), `dynamicValue` the value a JSON column holds (PostgreSQL, MySQL).
 */
function dynamicText(raw: string): string | null {
  const s = text(raw);
  if (s === null) return null;
  const first = s.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      JSON.parse(s);
      return s;
    } catch {
      // not JSON: a string
    }
  }
  return raw;
}
const dynamicValue = (raw: string): unknown => (dynamicText(raw) === null ? null : JSON.parse(dynamicText(raw)!));

/** A decimal text without trailing fraction zeros ("1.500" → "1.5", "100.000" → "100"). */
const trimDecimal = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
const micros = (c: string | null, sep: string) => (c === null ? null : `${c.slice(0, 10)}${sep}${c.slice(11, 26)}`);
const bigOrNull = (raw: string) => (raw === "null" ? null : BigInt(raw));

/** What each dialect stores for one wire cell, per physical column. */
function expected(dialect: DialectName, c: Column, raw: string, mariadb = false): Expect[] {
  const n = c.name;
  const as = (select: string, value: unknown, column = n): Expect => ({ column, select, value });
  const isNull = raw === "null";
  if (dialect === "postgres") {
    switch (c.type) {
      case "bool": return [as("%s::text", isNull ? null : String(raw === "true"))];
      case "int": case "long": return [as("%s::text", isNull ? null : raw)];
      case "real": return [as("%s::text", real(raw))];
      case "decimal": case "guid": return [as("%s::text", text(raw))];
      // PostgreSQL text cannot hold U+0000: replaced by U+FFFD (warned).
      case "string": return [as("%s::text", text(raw)?.replaceAll("\u0000", "\ufffd") ?? null)];
      case "datetime": return [as(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`, micros(canonical(raw), "T")), as("%s", canonical(raw), `${n}__text`)];
      // interval: whole microseconds, truncated toward zero; __ticks exact.
      case "timespan": return [as("(EXTRACT(EPOCH FROM %s) * 1000000)::bigint::text", ticks(raw) === null ? null : String(ticks(raw)! / 10n)), as("%s::text", ticks(raw)?.toString() ?? null, `${n}__ticks`)];
      case "dynamic": return [as("%s::text", dynamicValue(raw))];
    }
  }
  if (dialect === "mysql") {
    switch (c.type) {
      case "bool": return [as("%s", isNull ? null : raw === "true" ? 1 : 0)];
      case "int": return [as("%s", isNull ? null : Number(raw))];
      case "long": return [as("CAST(%s AS CHAR)", isNull ? null : raw)];
      // DOUBLE holds no NaN or ±Infinity: NULL (warned).
      case "real": return [as("%s", real(raw) !== null && Number.isFinite(real(raw)) ? real(raw) : null)];
      case "decimal": return [as("CAST(%s AS CHAR)", text(raw) === null ? null : trimDecimal(text(raw)!)), as("%s", text(raw), `${n}__text`)];
      case "string": case "guid": return [as("%s", text(raw))];
      // DATETIME(6): µs, truncated; NULL before year 1000 (warned), __text exact.
      case "datetime": {
        const c7 = canonical(raw);
        return [as("CAST(%s AS CHAR)", c7 !== null && c7 >= "1000" ? micros(c7, " ") : null), as("%s", c7, `${n}__text`)];
      }
      case "timespan": return [as("%s", text(raw)), as("CAST(%s AS CHAR)", ticks(raw)?.toString() ?? null, `${n}__ticks`)];
      // MariaDB keeps the JSON text as sent; MySQL's binary JSON normalizes it (compared as JSON).
      case "dynamic": return [as("CAST(%s AS CHAR)", mariadb ? dynamicText(raw) : dynamicValue(raw))];
    }
  }
  switch (c.type) {
    case "bool": return [as("%s", isNull ? null : raw === "true" ? 1n : 0n)];
    case "int": case "long": return [as("%s", bigOrNull(raw))];
    // SQLite stores no NaN: NULL (warned); ±Infinity kept.
    case "real": return [as("%s", Number.isNaN(real(raw)) ? null : real(raw))];
    case "decimal": case "string": case "guid": return [as("%s", text(raw))];
    case "dynamic": return [as("%s", dynamicText(raw))];
    case "datetime": return [as("%s", canonical(raw))];
    case "timespan": return [as("%s", text(raw)), as("%s", ticks(raw), `${n}__ticks`)];
  }
}

async function wireTable(endpoint: string, workspaceId: string): Promise<{ columns: Column[]; rows: RawRow[] }> {
  const res = await fetch(`${endpoint}/workspaces/${workspaceId}/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // _ItemId is hidden, as on the service: shown the way the exporter's default hiddenColumns shows it.
    body: JSON.stringify({ query: "MonitorliftTypes | extend _ItemId = _ItemId" }),
  });
  assert.equal(res.status, 200);
  const parser = new ResultParser();
  const rows = [...(parser.push(await res.text())?.rows ?? [])];
  parser.end();
  return { columns: parser.columns!, rows };
}

await describeSql("sql export type fidelity", DIALECTS, ({ dialect, db, sinkConfig, env }) => {
  test("every MonitorliftTypes cell arrives as the wire sent it (companions exact, typed columns as documented)", async () => {
    const h = await startHarness({
      sim: { clock: createManualClock(T0), seed: 21, backfill: "PT1H", rowsPerSecond: 0, tables: ["MonitorliftTypes"] },
      config: { queries: [{ name: "types", table: "MonitorliftTypes" }], window: { size: "PT5M", lag: "PT1M", start: "PT2H" }, sink: sinkConfig },
      env,
    });
    try {
      const wire = await wireTable(h.sim.endpoint, h.sim.workspaceId);
      const types = new Set<ColumnType>(wire.columns.map((c) => c.type));
      assert.equal(types.size, 10, "the wire has every Log Analytics type");
      assert.ok(wire.rows.length >= 20, "edge rows, the all-null row and the dynamic scalars");
      const report = await h.exportOnce();
      assert.equal(report.errors.size, 0, errorsOf(report));

      const mariadb = dialect === "mysql" && /mariadb/i.test(String((await db.select("SELECT VERSION() AS v"))[0]!.v));
      const idAt = wire.columns.findIndex((c) => c.name === "_ItemId");
      const cells = wire.columns.flatMap((c, i) => expected(dialect, c, "null", mariadb).map((e) => ({ ...e, index: i })));
      const list = cells.map((e, k) => `${e.select.replaceAll("%s", db.quote(e.column))} AS ${db.quote(`c${k}`)}`).join(", ");
      const stored = await db.select(`SELECT ${db.quote("_ItemId")} AS id, ${list} FROM ${db.table("types")}`);
      assert.deepEqual(stored.map((r) => String(r.id)).sort(), wire.rows.map((r) => text(r[idAt]!)).sort(), "every wire row exactly once");

      const byId = new Map(stored.map((r) => [String(r.id), r]));
      let compared = 0;
      for (const row of wire.rows) {
        const got = byId.get(text(row[idAt]!)!)!;
        for (const [i, c] of wire.columns.entries()) {
          for (const e of expected(dialect, c, row[i]!, mariadb)) {
            const k = cells.findIndex((x) => x.column === e.column);
            let actual = got[`c${k}`];
            if (c.type === "real" && typeof actual === "string") actual = Number(actual);
            // a JSON column's text is compared as JSON (MySQL and PostgreSQL normalise it); stored text exactly
            if (c.type === "dynamic" && typeof actual === "string" && (dialect === "postgres" || (dialect === "mysql" && !mariadb))) actual = JSON.parse(actual);
            if (dialect === "mysql" && c.type === "decimal" && e.column === c.name && typeof actual === "string") actual = trimDecimal(actual);
            assert.deepEqual(actual, e.value, `${e.column} of row ${text(row[idAt]!)}: wire ${row[i]!.slice(0, 80)}`);
            compared++;
          }
        }
      }
      assert.equal(compared, wire.rows.length * cells.length, "every physical cell compared");
    } finally {
      await h.close();
    }
  });
});
