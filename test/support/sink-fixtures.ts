/**
 * One fixture per destination kind for the sink contract suite (test/contract/sink-contract.ts), not
 * a test itself. A fixture builds Destinations over ONE storage of its own (a fresh temporary folder, a
 * unique blob prefix in a private Azurite, a unique SQL table prefix), so parallel runs never collide,
 * and reads back what a reader of that storage sees, without going through the sink.
 *
 * Services: Azurite starts from node_modules; PostgreSQL and MariaDB are reached as in
 * test/support/sql-test-harness.ts. An unreachable one is skipped with a `# NOTICE`, or fails the
 * suite under MONITORLIFT_REQUIRE_SERVICES=1.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filesystemSinkSchema } from "../../src/config/sinks.ts";
import { createFilesystemSink } from "../../src/sinks/filesystem/index.ts";
import { statePath } from "../../src/sinks/layout.ts";
import type { Destination, FileDestinationOptions, StateKey } from "../../src/sinks/sink.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { startBlobFixture } from "./blob-fixture.ts";
import { blobLeftovers, blobRows, filesystemLeftovers, filesystemRows, sqlRows } from "./sink-readers.ts";
import { openHarness, type DialectName } from "./sql-test-harness.ts";

export interface SinkFixture {
  /** "filesystem", "blob", "postgres", "mysql", "sqlite". */
  readonly name: string;
  /**
   * File-like destinations commit through src/sinks/file-commit.ts (check version → publish → write
   * cursor → take back): `destination({ wrapCursors })` reaches each step. SQL commits rows and cursor
   * in one transaction and takes no options.
   */
  readonly fileLike: boolean;
  /** What sink.recover() counts: removed chunk files/blobs (file-like) or removed rows (SQL). */
  readonly recoverCounts: "chunks" | "rows";
  /** A new Destination over this fixture's storage, as a new process would build it. */
  destination(options?: FileDestinationOptions): Destination;
  /** The rows of `query` a reader sees, as sorted "<start>-<end>:<Name>" labels (see sink-readers.ts). */
  rows(query: string): Promise<string[]>;
  /**
   * A destination whose target cannot be used (a file where the folder should be, a missing container
   * that may not be created, a database that does not answer), the code its probe must fail with, and a
   * secret-like part of its config that no message may contain.
   */
  unusable(): { destination: Destination; code: string; retryable: boolean; secret?: string };
  /** Overwrites the stored body of a cursor with `body`, bypassing the sink (a bad hand edit, a damaged disk, a repair). */
  overwriteCursor(key: StateKey, body: string): Promise<void>;
  /** What a reader skips below the query's data (staging files of unfinished commits); always [] for SQL. */
  leftovers(query: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export type FixtureOpening = SinkFixture | { name: string; unavailable: string; required: boolean };

const requireServices = process.env.MONITORLIFT_REQUIRE_SERVICES === "1";

export async function filesystemFixture(): Promise<SinkFixture> {
  const root = await mkdtemp(join(tmpdir(), "monitorlift-contract-fs-"));
  const config = filesystemSinkSchema.parse({ type: "filesystem", path: root, format: "ndjson", compression: "none" });
  return {
    name: "filesystem",
    fileLike: true,
    recoverCounts: "chunks",
    destination: (options = {}) => createFilesystemSink(config, { logger: silentLogger(), env: {}, baseDir: "/" }, options),
    unusable: () => {
      const file = join(root, "_not-a-folder");
      writeFileSync(file, "x");
      const bad = filesystemSinkSchema.parse({ type: "filesystem", path: join(file, "export") });
      return { destination: createFilesystemSink(bad, { logger: silentLogger(), env: {}, baseDir: "/" }), code: "SINK_WRITE", retryable: false };
    },
    overwriteCursor: (key, body) => writeFile(join(root, statePath(key)), body),
    rows: (query) => filesystemRows(root, query),
    leftovers: (query) => filesystemLeftovers(root, query),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function blobFixture(): Promise<FixtureOpening> {
  let fx;
  try {
    fx = await startBlobFixture();
  } catch (err) {
    const reason = `Azurite could not start (${(err as Error).message})`;
    if (!requireServices) console.log(`# NOTICE: ${reason}; the blob contract tests are skipped. Set MONITORLIFT_REQUIRE_SERVICES=1 to make this a failure.`);
    return { name: "blob", unavailable: reason, required: requireServices };
  }
  const blob = fx;
  const prefix = `contract-${randomBytes(4).toString("hex")}/`;
  return {
    name: "blob",
    fileLike: true,
    recoverCounts: "chunks",
    destination: (options = {}) => blob.sink({ prefix }, options),
    unusable: () => ({
      destination: blob.sink({ prefix, container: `missing-${randomBytes(4).toString("hex")}`, createContainer: false }),
      code: "SINK_WRITE",
      retryable: false,
      secret: blob.azurite.accountKey,
    }),
    async overwriteCursor(key, body) {
      await blob.container().getBlockBlobClient(prefix + statePath(key)).upload(body, Buffer.byteLength(body));
    },
    rows: (query) => blobRows(blob.container(), prefix, query),
    leftovers: (query) => blobLeftovers(blob.container(), prefix, query),
    cleanup: () => blob.stop(),
  };
}

export async function sqlFixture(dialect: DialectName): Promise<FixtureOpening> {
  const h = await openHarness(dialect);
  if ("unavailable" in h) return { name: dialect, unavailable: h.unavailable, required: h.required };
  return {
    name: dialect,
    fileLike: false,
    recoverCounts: "rows",
    destination: () => h.sink(),
    unusable: () =>
      dialect === "sqlite"
        ? { destination: h.sink(undefined, { path: "/dev/null/monitorlift.db" }), code: "SINK_WRITE", retryable: false }
        : {
            destination: h.sink(undefined, { url: `${dialect === "postgres" ? "postgres" : "mysql"}://someone:s3cret-pw@127.0.0.1:1/db` }),
            code: "SINK_UNAVAILABLE",
            retryable: true,
            secret: "s3cret-pw",
          },
    async overwriteCursor(key, body) {
      await h.select(`UPDATE ${h.table(`${h.prefix}_monitorlift_state`, true)} SET state = ? WHERE query = ? AND scope = ?`, [body, key.query, key.scope]);
    },
    rows: (query) => sqlRows(h, query),
    leftovers: async () => [],
    cleanup: () => h.cleanup(),
  };
}
