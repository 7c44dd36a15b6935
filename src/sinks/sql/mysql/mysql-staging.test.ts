/**
 * How the MySQL dialect stages a window, against a real MySQL / MariaDB (see sql-test-harness.ts
 * for the connection and skipping): statements stay bounded in size and do not pile up on the
 * pooled connections, and every row still arrives exactly.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { tmpdir } from "node:os";
import { pino } from "pino";
import type { Column, RawRow } from "../../../table.ts";
import type { Dialect, SqlSession, WindowWork } from "../dialect.ts";
import { openHarness } from "../../../../test/support/sql-test-harness.ts";
import { createMysqlDialect } from "./mysql-dialect.ts";

const h = await openHarness("mysql");

const COLUMNS: Column[] = [
  { name: "n", type: "long" },
  { name: "s", type: "string" },
];

function rows(count: number, text: (i: number) => string = (i) => `row ${i}`): RawRow[] {
  return Array.from({ length: count }, (_, i) => [String(i), JSON.stringify(text(i))]);
}

function openDialect(): Dialect {
  if ("unavailable" in h) throw new Error(h.unavailable);
  return createMysqlDialect(h.config(), { logger: pino({ level: "silent" }), env: {}, baseDir: tmpdir() });
}

async function openWork(dialect: Dialect): Promise<WindowWork> {
  const defs = COLUMNS.flatMap((c) => dialect.columnDefs(c));
  return dialect.openWindow(defs, { columns: COLUMNS, query: "staging", warn: () => undefined });
}

/** Statements prepared on this session's connection and not closed yet (the server's own session counters). */
async function openStatements(session: SqlSession): Promise<number> {
  const r = await session.query("SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_close')");
  const by = new Map(r.rows.map((row) => [String(row.Variable_name), Number(row.Value)]));
  return by.get("Com_stmt_prepare")! - by.get("Com_stmt_close")!;
}

/** The pooled connection the window used, once the window has given it back. */
async function sameConnection(dialect: Dialect, connectionId: string | undefined): Promise<SqlSession> {
  const session = await dialect.connect();
  assert.equal(`connection ${(session as unknown as { threadId: number }).threadId}`, connectionId, "the pool hands back the window's connection");
  return session;
}

if ("unavailable" in h) {
  describe("mysql staging", () => {
    it("needs a MySQL or MariaDB server", { skip: h.required ? false : h.unavailable }, () => {
      assert.fail(h.unavailable);
    });
  });
} else {
  describe("mysql staging", () => {
    after(() => h.cleanup());

    it("windows of any size leave no staging statement prepared on their connection", async () => {
      const dialect = openDialect();
      await dialect.open();
      try {
        const counts: number[] = [];
        // Every window ends with a statement of another row count (the remainder after full statements).
        for (const n of [5000, 5001, 5003, 17]) {
          const work = await openWork(dialect);
          await work.write(rows(n));
          const { session, staged } = await work.beginCommit();
          assert.equal(staged, n);
          const inStage = await session.query(`SELECT count(*) AS c, sum(n) AS total FROM ${work.stageTable}`);
          assert.equal(Number(inStage.rows[0]!.c), n);
          assert.equal(Number(inStage.rows[0]!.total), ((n - 1) * n) / 2);
          await work.commit();
          const s = await sameConnection(dialect, work.connectionId);
          counts.push(await openStatements(s));
          await s.release();
        }
        // The counting statement itself is text protocol; nothing prepared by staging stays behind.
        assert.deepEqual(counts, counts.map(() => 0), `open prepared statements after each window: ${counts.join(", ")}`);
      } finally {
        await dialect.close();
      }
    });

    it("large cells are sent in statements cut by size, each row exactly once", async () => {
      const dialect = openDialect();
      await dialect.open();
      try {
        const max = await dialect.connect();
        const packet = Number((await max.query("SELECT @@max_allowed_packet AS m")).rows[0]!.m);
        await max.release();
        // Cells of 2 MiB of UTF-8 (or 1/8 packet): together 1.5 packets (at most 48 MiB), one by one well
        // under a packet. With the default 16 MiB packet, one INSERT of the whole window would be refused.
        const cellBytes = Math.min(2 * 1024 * 1024, Math.floor(packet / 8));
        const count = Math.min(24, Math.ceil((packet * 1.5) / cellBytes));
        const unit = "é€😀x"; // 10 bytes of UTF-8, 5 UTF-16 units
        const text = (i: number) => `${i}:${unit.repeat(Math.floor(cellBytes / 10))}`;
        const work = await openWork(dialect);
        const all = rows(count, text);
        for (let i = 0; i < all.length; i += 3) await work.write(all.slice(i, i + 3));
        const { session, staged } = await work.beginCommit();
        assert.equal(staged, count);
        const back = await session.query(`SELECT n, s FROM ${work.stageTable} ORDER BY n`);
        assert.equal(back.rows.length, count);
        back.rows.forEach((row, i) => {
          assert.equal(String(row.n), String(i));
          assert.ok(row.s === text(i), `row ${i} arrives byte for byte`);
        });
        await work.commit();
      } finally {
        await dialect.close();
      }
    });
  });
}
