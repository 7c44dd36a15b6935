import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseKql } from "./index.ts";
import { formatDatetime, formatTimespan, parseDatetime, parseTimespan } from "./time-literals.ts";
import { tokenize } from "./tokenizer.ts";
import { ticks } from "../../../test/support/kql-catalog.ts";

describe("tokenizer", () => {
  it("scans hyphenated operators, negated word operators, in~ and typed literal bodies as single tokens", () => {
    const tokens = tokenize("T | project-away a | where b !has_cs 'x' and c !in~ (1) and d in~ ('y') and e == datetime(2026-01-01 10:00)");
    const texts = tokens.map((t) => `${t.kind}:${t.kind === "typed" ? `${t.text}(${t.raw})` : t.text}`);
    assert.ok(texts.includes("ident:project-away"));
    assert.ok(texts.includes("op:!has_cs"));
    assert.ok(texts.includes("op:!in~"));
    assert.ok(texts.includes("ident:in~"));
    assert.ok(texts.includes("typed:datetime(2026-01-01 10:00)"));
    assert.equal(tokens.at(-1)!.kind, "eof");
  });

  it("keeps a-b as subtraction unless it forms a known operator", () => {
    const texts = tokenize("project-x - 1").map((t) => t.text);
    assert.deepEqual(texts, ["project", "-", "x", "-", "1", ""]);
  });

  it("reads numbers, reals, hex and timespans, and stops a number before '..'", () => {
    const tokens = tokenize("(1..10) 2.5 1e-3 0xff 1.5h 100ms");
    const simple = tokens.map((t) => [t.kind, t.big ?? t.num ?? t.text]);
    assert.deepEqual(simple, [
      ["op", "("],
      ["long", 1n],
      ["op", ".."],
      ["long", 10n],
      ["op", ")"],
      ["real", 2.5],
      ["real", 0.001],
      ["long", 255n],
      ["timespan", 54_000_000_000n],
      ["timespan", 1_000_000n],
      ["eof", ""],
    ]);
  });

  it("marks tokens preceded by whitespace or comments", () => {
    const tokens = tokenize("a*b //x\n*");
    assert.deepEqual(tokens.map((t) => t.spaceBefore), [false, false, false, true, false]);
  });
});

describe("parser", () => {
  it("builds let statements and a pipeline", () => {
    const script = parseKql("let x = 5;\nT | where a > x and (b or c) | take 3");
    assert.equal(script.statements.length, 2);
    const [letStmt, query] = script.statements;
    assert.equal(letStmt!.kind, "let");
    assert.equal(query!.kind, "query");
    if (query!.kind !== "query" || query!.expr.kind !== "pipe") assert.fail("expected a pipe");
    assert.deepEqual(query!.expr.operators.map((o) => o.kind), ["where", "take"]);
    const where = query!.expr.operators[0]!;
    if (where.kind !== "where" || where.predicate.kind !== "binary") assert.fail("expected a binary predicate");
    assert.equal(where.predicate.op, "and");
    assert.equal(where.predicate.right.kind === "binary" && where.predicate.right.op, "or");
  });

  it("gives and precedence over or, and arithmetic over comparison", () => {
    const script = parseKql("T | where a or b and c == 1 + 2 * 3");
    const q = script.statements[0]!;
    if (q.kind !== "query" || q.expr.kind !== "pipe") assert.fail("pipe");
    const w = q.expr.operators[0]!;
    if (w.kind !== "where") assert.fail("where");
    const p = w.predicate;
    assert.ok(p.kind === "binary" && p.op === "or");
    const and = p.right;
    assert.ok(and.kind === "binary" && and.op === "and");
    const eq = and.right;
    assert.ok(eq.kind === "binary" && eq.op === "==");
    const plus = eq.right;
    assert.ok(plus.kind === "binary" && plus.op === "+" && plus.right.kind === "binary" && plus.right.op === "*");
  });

  it("parses union options, workspace() references and sort keys", () => {
    const script = parseKql("union kind=inner withsource=Src workspace('w').T, (U | take 1), App* | sort by a asc nulls last, b");
    const q = script.statements[0]!;
    if (q.kind !== "query" || q.expr.kind !== "pipe" || q.expr.source.kind !== "union") assert.fail("union pipe");
    assert.deepEqual(q.expr.source.options, { kind: "inner", isfuzzy: false, withsource: "Src" });
    assert.deepEqual(q.expr.source.tables.map((t) => t.kind), ["member", "pipe", "wildcard"]);
    const sort = q.expr.operators[0]!;
    if (sort.kind !== "sort") assert.fail("sort");
    assert.deepEqual(sort.keys.map((k) => [k.descending, k.nullsFirst]), [
      [false, false],
      [true, undefined],
    ]);
  });

  it("keeps unsupported real operators for the evaluator to reject", () => {
    const q = parseKql("T | top 5 by a | take 1").statements[0]!;
    if (q.kind !== "query" || q.expr.kind !== "pipe") assert.fail("pipe");
    assert.deepEqual(q.expr.operators.map((o) => o.kind), ["unsupported", "take"]);
  });
});

describe("time literals", () => {
  it("parses and formats datetimes at tick precision", () => {
    for (const iso of ["2026-11-22T03:00:00.0000001Z", "0001-01-01T00:00:00.0000000Z", "9999-12-31T23:59:59.9999999Z", "1969-12-31T23:59:59.9999999Z"]) {
      const t = parseDatetime(iso);
      assert.notEqual(t, undefined, iso);
      assert.equal(formatDatetime(t!), iso);
    }
    assert.equal(parseDatetime("2026-11-22T03:00:00.0000001Z"), ticks("2026-11-22T03:00:00.0000001Z"));
    for (const bad of ["2026-02-29", "2026-13-01", "2026-01-01T24:00", "2026-01-01X", "", "20260101"]) {
      assert.equal(parseDatetime(bad), undefined, bad);
    }
  });

  it("parses and formats timespans", () => {
    assert.equal(parseTimespan("1.02:03:04.5"), 937_845_000_000n);
    assert.equal(formatTimespan(937_845_000_000n), "1.02:03:04.5000000");
    assert.equal(parseTimespan("-00:00:01"), -10_000_000n);
    assert.equal(parseTimespan("2h"), 72_000_000_000n);
    assert.equal(parseTimespan("1.5d"), 1_296_000_000_000n);
    assert.equal(parseTimespan("5x"), undefined);
    assert.equal(parseTimespan("25:00:00"), undefined);
  });
});
