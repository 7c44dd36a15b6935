/**
 * The sink contract suite (test/contract/sink-contract.ts) against every destination kind: filesystem
 * (a temporary folder), blob (a private Azurite), PostgreSQL, MariaDB/MySQL and SQLite (see
 * test/support/sql-test-harness.ts for the servers; unreachable → skipped with a notice, or failed
 * under MONITORLIFT_REQUIRE_SERVICES=1). Every fixture has storage of its own, dropped at the end.
 *
 *   MONITORLIFT_CONTRACT_SINKS=filesystem,sqlite   run the suite against these kinds only (default: all five)
 */
import { after } from "node:test";
import { blobFixture, filesystemFixture, sqlFixture, type FixtureOpening } from "../support/sink-fixtures.ts";
import { defineSinkContract } from "./sink-contract.ts";

const KINDS: Record<string, () => Promise<FixtureOpening>> = {
  filesystem: filesystemFixture,
  blob: blobFixture,
  postgres: () => sqlFixture("postgres"),
  mysql: () => sqlFixture("mysql"),
  sqlite: () => sqlFixture("sqlite"),
};
const only = process.env.MONITORLIFT_CONTRACT_SINKS?.split(",").map((s) => s.trim()).filter(Boolean);
for (const name of only ?? []) if (!(name in KINDS)) throw new Error(`MONITORLIFT_CONTRACT_SINKS: unknown sink kind "${name}" (known: ${Object.keys(KINDS).join(", ")})`);

const openings: FixtureOpening[] = [];
for (const [name, open] of Object.entries(KINDS)) if (!only || only.includes(name)) openings.push(await open());

after(async () => {
  for (const fx of openings) if (!("unavailable" in fx)) await fx.cleanup();
});

for (const opening of openings) defineSinkContract(opening);
