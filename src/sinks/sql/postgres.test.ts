/** The SQL sink against a real PostgreSQL (see sql-test-harness.ts for the connection and skipping). */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NESTED_JSON, TRICKY_STRING, commitRoundTrip, defineBehaviour } from "../../../test/contract/sql-sink-behaviour.ts";
import { openHarness } from "../../../test/support/sql-test-harness.ts";

const h = await openHarness("postgres");

if ("unavailable" in h) {
  describe("sql sink: postgres", () => {
    it("needs a PostgreSQL server", { skip: h.required ? false : h.unavailable }, () => {
      assert.fail(h.unavailable);
    });
  });
} else {
  describe("sql sink: postgres", () => {
    after(() => h.cleanup());

    it("round-trips every column type exactly (COPY escaping, 100 ns datetimes, 64-bit longs)", async () => {
      const log = await commitRoundTrip(h);
      const cols = ["b", "i", "l", "r", "d", "s", "g", "t", "t__text", "ts", "ts__ticks", "dyn"];
      const rows = await h.select(`SELECT ${cols.map((c) => `${h.quote(c)}::text AS ${h.quote(c)}`).join(", ")} FROM ${h.table("RoundTrip")} ORDER BY k`);
      const types = await h.select(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
        [`${h.prefix}RoundTrip`],
      );
      assert.deepEqual(
        types.map((r) => `${r.column_name}:${r.data_type}`),
        [
          "k:integer",
          "b:boolean",
          "i:integer",
          "l:bigint",
          "r:double precision",
          "d:numeric",
          "s:text",
          "g:uuid",
          "t:timestamp with time zone",
          "t__text:text",
          "ts:interval",
          "ts__ticks:bigint",
          "dyn:jsonb",
          "_window_start:timestamp with time zone",
          "_window_end:timestamp with time zone",
        ],
      );
      const dyn = rows.map((r) => (r.dyn === null ? null : JSON.parse(String(r.dyn))));
      assert.deepEqual(dyn, [NESTED_JSON, [], null, "hello"]);
      assert.deepEqual(
        rows.map(({ dyn: _dyn, ...rest }) => rest),
        [
          {
            b: "true",
            i: "2147483647",
            l: "9007199254740993",
            r: "0.1",
            d: "12345678901234567890.123456789012345678",
            s: TRICKY_STRING,
            g: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            t: "2026-11-22 03:00:00.123456+00",
            t__text: "2026-11-22T03:00:00.1234567Z",
            ts: "26:03:04.5",
            ts__ticks: "937845000001",
          },
          {
            b: "false",
            i: "-2147483648",
            l: "-9223372036854775808",
            r: "-1.5e-300",
            d: "-0.000000000000000000000000000001",
            s: "",
            g: "00000000-0000-0000-0000-000000000000",
            t: "2026-01-01 00:00:00+00",
            t__text: "2026-01-01T00:00:00.0000000Z",
            ts: "00:00:00",
            ts__ticks: "-1",
          },
          { b: null, i: null, l: null, r: null, d: null, s: null, g: null, t: null, t__text: null, ts: null, ts__ticks: null },
          {
            b: "true",
            i: "0",
            l: "9223372036854775807",
            r: "NaN",
            d: "79228162514264337593543950335",
            s: "nul:\ufffd:end",
            g: "ffffffff-ffff-ffff-ffff-ffffffffffff",
            t: "0001-01-01 00:00:00+00",
            t__text: "0001-01-01T00:00:00.0000001Z",
            ts: "256204778:48:05.47758",
            ts__ticks: "9223372036854775807",
          },
        ],
      );
      // The one change PostgreSQL forces (U+0000 in text) is reported, not silent.
      assert.ok(log.some((l) => l.column === "s" && l.cells === 1 && String(l.msg).includes("U+0000")), "NUL replacement is warned");
    });

    it("tls mode require never falls back to an unencrypted connection", async (t) => {
      const ssl = await h.select("SHOW ssl");
      if (ssl[0]!.ssl !== "off") return t.skip("this server offers TLS");
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
