import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Column } from "../../table.ts";
import type { ColumnDef, IdentifierRules } from "./dialect.ts";
import { identifierProblem, physicalLayout, queryTableName } from "./identifiers.ts";

const pg: IdentifierRules = { maxLength: 63, lengthUnit: "bytes", caseInsensitive: false, bmpOnly: false };
const my: IdentifierRules = { maxLength: 64, lengthUnit: "chars", caseInsensitive: true, bmpOnly: true };
const defs = (c: Column): ColumnDef[] => (c.type === "datetime" ? [{ name: c.name, type: "ts" }, { name: `${c.name}__text`, type: "text" }] : [{ name: c.name, type: "x" }]);

describe("sql identifiers", () => {
  it("accepts any printable name the database keeps exactly", () => {
    for (const name of ['we"ird', "back`tick", "semi;colon -- x", "Ünïcødé", "a b"]) assert.equal(identifierProblem(name, pg), undefined, name);
  });

  it("refuses names that would be cut, folded or cannot be stored", () => {
    assert.match(identifierProblem("é".repeat(32), pg)!, /64 bytes/); // 32 characters, 64 UTF-8 bytes
    assert.equal(identifierProblem("é".repeat(32), my), undefined);
    assert.match(identifierProblem("a\tb", pg)!, /control/);
    assert.match(identifierProblem(" lead", pg)!, /white space/);
    assert.match(identifierProblem("emoji😀", my)!, /Basic Multilingual Plane/);
    assert.equal(identifierProblem("emoji😀", pg), undefined);
    assert.match(identifierProblem("", pg)!, /empty/);
    assert.throws(() => queryTableName("p".repeat(30), "Q".repeat(40), pg), { code: "SINK_SCHEMA", message: /tablePrefix|too|long/ });
  });

  it("finds collisions between columns, companions and window columns, folding case where the database does", () => {
    const cols = (...c: Array<[string, Column["type"]]>) => c.map(([name, type]) => ({ name, type }));
    const ctx = { query: "Q", table: "T" };
    assert.deepEqual(
      physicalLayout(cols(["t", "datetime"], ["n", "long"]), defs, pg, ctx).map((d) => d.name),
      ["t", "t__text", "n"],
    );
    assert.throws(() => physicalLayout(cols(["t", "datetime"], ["t__text", "string"]), defs, pg, ctx), { code: "SINK_SCHEMA", message: /t__text/ });
    assert.throws(() => physicalLayout(cols(["_window_end", "string"]), defs, pg, ctx), { code: "SINK_SCHEMA", message: /_window_end/ });
    assert.equal(physicalLayout(cols(["Name", "string"], ["name", "string"]), defs, pg, ctx).length, 2);
    assert.throws(() => physicalLayout(cols(["Name", "string"], ["name", "string"]), defs, my, ctx), { code: "SINK_SCHEMA", message: /ignores case/ });
  });
});
