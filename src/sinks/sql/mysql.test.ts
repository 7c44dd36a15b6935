/** The SQL sink against a real MySQL / MariaDB (see sql-test-harness.ts for the connection and skipping). */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NESTED_JSON, NUL_STRING, TRICKY_STRING, commitRoundTrip, defineBehaviour } from "../../../test/contract/sql-sink-behaviour.ts";
import { openHarness } from "../../../test/support/sql-test-harness.ts";

const h = await openHarness("mysql");

if ("unavailable" in h) {
  describe("sql sink: mysql", () => {
    it("needs a MySQL or MariaDB server", { skip: h.required ? false : h.unavailable }, () => {
      assert.fail(h.unavailable);
    });
  });
} else {
  describe("sql sink: mysql", () => {
    after(() => h.cleanup());

    it("round-trips every column type exactly (64-bit longs, 100 ns datetimes in __text, exact decimals)", async () => {
      const log = await commitRoundTrip(h);
      const cols = ["b", "i", "l", "r", "d", "d__text", "s", "g", "t", "t__text", "ts", "ts__ticks", "dyn"];
      // JSON as its stored text (mysql2 would parse it).
      const list = cols.map((c) => (c === "dyn" ? `CAST(${h.quote(c)} AS CHAR) AS dyn` : h.quote(c))).join(", ");
      const rows = await h.select(`SELECT ${list} FROM ${h.table("RoundTrip")} ORDER BY k`);
      const dyn = rows.map((r) => (r.dyn === null ? null : JSON.parse(String(r.dyn))));
      assert.deepEqual(dyn, [NESTED_JSON, [], null, "hello"]);
      const zeros = "0".repeat(30);
      assert.deepEqual(
        rows.map(({ dyn: _dyn, ...rest }) => rest),
        [
          {
            b: 1,
            i: 2147483647,
            l: "9007199254740993",
            r: 0.1,
            d: "12345678901234567890.123456789012345678000000000000",
            d__text: "12345678901234567890.123456789012345678",
            s: TRICKY_STRING,
            g: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            t: "2026-11-22 03:00:00.123456",
            t__text: "2026-11-22T03:00:00.1234567Z",
            ts: "1.02:03:04.5000001",
            ts__ticks: "937845000001",
          },
          {
            b: 0,
            i: -2147483648,
            l: "-9223372036854775808",
            r: -1.5e-300,
            d: "-0.000000000000000000000000000001",
            d__text: "-0.000000000000000000000000000001",
            s: "",
            g: "00000000-0000-0000-0000-000000000000",
            t: "2026-01-01 00:00:00", // mysql2 leaves out a zero fraction
            t__text: "2026-01-01T00:00:00.0000000Z",
            ts: "-00:00:00.0000001",
            ts__ticks: "-1",
          },
          { b: null, i: null, l: null, r: null, d: null, d__text: null, s: null, g: null, t: null, t__text: null, ts: null, ts__ticks: null },
          {
            b: 1,
            i: 0,
            l: "9223372036854775807",
            r: null,
            d: `79228162514264337593543950335.${zeros}`,
            d__text: "79228162514264337593543950335",
            s: NUL_STRING,
            g: "ffffffff-ffff-ffff-ffff-ffffffffffff",
            t: null,
            t__text: "0001-01-01T00:00:00.0000001Z",
            ts: "10675199.02:48:05.4775807",
            ts__ticks: "9223372036854775807",
          },
        ],
      );
      // What MySQL cannot hold (NaN, a year before 1000) is NULL there and reported, never silent.
      assert.ok(log.some((l) => l.column === "r" && l.cells === 1 && String(l.msg).includes("NaN")), "NaN → NULL is warned");
      assert.ok(log.some((l) => l.column === "t" && l.cells === 1 && String(l.msg).includes("year 1000")), "year 1 → NULL is warned");
    });

    it("tls mode require never falls back to an unencrypted connection", async (t) => {
      const ssl = await h.select("SHOW VARIABLES LIKE 'have_ssl'");
      if (ssl[0]?.Value !== "DISABLED") return t.skip("this server offers TLS");
      const sink = h.sink(undefined, { tls: { mode: "require" } });
      try {
        await assert.rejects(sink.sink.start(), (err: Error & { code?: string }) => {
          assert.ok(err.code === "SINK_UNAVAILABLE" || err.code === "SINK_WRITE", err.message);
          assert.match(err.message, /SSL|secure/i);
          return true;
        });
      } finally {
        await sink.shutdown();
      }
    });

    defineBehaviour(h);
  });
}
