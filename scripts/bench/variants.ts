/**
 * The pipelines the bench runs, each as its own process: the parse floor, the naive pipeline, the
 * monitorlift CLI (`export --once`) into each filesystem format and SQL dialect, and each dialect's bulk
 * reference. `args` builds the child's command line; `check` reads its output back (./roundtrip.ts).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { QUERY_NAME, TABLE, type Manifest } from "./dataset.ts";
import { checkFiles, checkTable, ndjsonRule, parquetRule, sqlRule, textRule, wireRule, type RoundTrip } from "./roundtrip.ts";
import { BENCH_DB, type Dialect, type SqlTarget } from "./sql-targets.ts";

const here = import.meta.dirname;
const cli = join(here, "..", "..", "bin", "monitorlift.js");

export interface RunContext {
  endpoint: string;
  manifestPath: string;
  manifest: Manifest;
  /** The variant's own folder. */
  dir: string;
  sql?: SqlTarget;
  /** The child's standard output, once it ran. */
  stdout?: string;
}

export interface Variant {
  name: string;
  /** The variant's reference for the "× ref" column (SQL sinks: their bulk load). */
  reference?: string;
  dialect?: Dialect;
  args(ctx: RunContext): Promise<string[]>;
  check(ctx: RunContext): Promise<RoundTrip>;
}

/** The exporter's config: the replay server as the workspace, one query, hour windows from the data's start, 4 in flight. */
function exporterConfig(ctx: RunContext, sink: Record<string, unknown>): Record<string, unknown> {
  return {
    source: { workspaceId: ctx.manifest.workspaceId, endpoint: ctx.endpoint, auth: { method: "none" } },
    queries: [{ name: QUERY_NAME, table: TABLE }],
    window: { size: "PT1H", lag: "PT1M", start: new Date(ctx.manifest.windows[0]!.start).toISOString(), reverify: "PT0S", maxWindowsPerRun: 10_000 },
    sink,
    concurrency: 4,
    log: { level: "warn" },
  };
}

function exporter(name: string, sink: (ctx: RunContext) => Record<string, unknown>, check: Variant["check"], extra: Partial<Variant> = {}): Variant {
  return {
    name,
    ...extra,
    async args(ctx) {
      const path = join(ctx.dir, "config.json");
      await writeFile(path, JSON.stringify(exporterConfig(ctx, sink(ctx))));
      return [cli, "export", "--once", "--config", path];
    },
    check,
  };
}

/** A filesystem export; `level` (compressionLevel) when not the algorithm's default, named "…+zstd:1". */
const files = (format: string, compression: string, rule = ndjsonRule, level?: number) =>
  exporter(
    `monitorlift ${format}${format === "parquet" ? "" : compression === "none" ? "" : `+${compression}`}${level === undefined ? "" : `:${level}`}`,
    (ctx) => ({ type: "filesystem", path: join(ctx.dir, "out"), format, compression, ...(level === undefined ? {} : { compressionLevel: level }) }),
    (ctx) => checkFiles(ctx.manifest, join(ctx.dir, "out"), rule),
  );

const sqlSink = (dialect: Dialect) =>
  exporter(
    `monitorlift sql ${dialect}`,
    (ctx) =>
      dialect === "sqlite"
        ? { type: "sql", dialect, path: ctx.sql!.target, tablePrefix: "ml_" }
        : { type: "sql", dialect, url: ctx.sql!.target, tablePrefix: "ml_", ...(dialect === "postgres" ? { schema: BENCH_DB } : {}) },
    (ctx) => checkTable(ctx.manifest, ctx.sql!.select, ctx.sql!.table(`ml_${QUERY_NAME}`), ctx.sql!.quote, sqlRule),
    { dialect, reference: `reference ${dialect}` },
  );

const sqlReference = (dialect: Dialect): Variant => ({
  name: `reference ${dialect}`,
  dialect,
  args: async (ctx) => [join(here, "pipelines", "sql-reference.ts"), ctx.endpoint, ctx.manifestPath, dialect, ctx.sql!.target, dialect === "postgres" ? `${BENCH_DB}.ref_${dialect}` : `ref_${dialect}`],
  check: (ctx) => checkTable(ctx.manifest, ctx.sql!.select, ctx.sql!.table(`ref_${dialect}`), ctx.sql!.quote, textRule),
});

export const VARIANTS: Variant[] = [
  {
    name: "floor",
    args: async (ctx) => [join(here, "pipelines", "floor.ts"), ctx.endpoint, ctx.manifestPath],
    check: async (ctx) => {
      const rows = Number((JSON.parse(ctx.stdout?.trim() || "{}") as { rows?: number }).rows);
      return { ok: rows === ctx.manifest.rows, rows, sampled: 0, problems: rows === ctx.manifest.rows ? [] : [`${rows} rows parsed, ${ctx.manifest.rows} served`] };
    },
  },
  {
    name: "naive",
    args: async (ctx) => [join(here, "pipelines", "naive.ts"), ctx.endpoint, ctx.manifestPath, join(ctx.dir, "out")],
    check: (ctx) => checkFiles(ctx.manifest, join(ctx.dir, "out"), wireRule),
  },
  files("ndjson", "gzip"),
  files("ndjson", "zstd"),
  files("ndjson", "zstd", ndjsonRule, 1),
  files("ndjson", "none"),
  files("json", "gzip", wireRule),
  files("parquet", "none", parquetRule),
  sqlReference("sqlite"),
  sqlSink("sqlite"),
  sqlReference("postgres"),
  sqlSink("postgres"),
  sqlReference("mysql"),
  sqlSink("mysql"),
];
