/**
 * Parquet writers compared on the same rows (issue 11, point 3): monitorlift's own encoder
 * (hyparquet-writer), parquet-wasm (+ apache-arrow to build its input), @dsnp/parquetjs and DuckDB
 * (@duckdb/node-api), plus a baseline that only decodes the cells. Each runs in its own process on
 * the same synthetic AppRequests-like raw rows (scripts/bench/encoder-rows.ts, batches of 10,000 raw
 * rows as the source hands them over; generating them is not timed) and writes one file. Measured
 * per writer: rows/s of the encoding (cell decoding + the writer + writing the file, wall time), the
 * CPU seconds it took (all threads, row generation excluded; on a shared machine the steadier
 * figure), the process's peak RSS (getrusage) and the file size. Then every file is read back and
 * checked against monitorlift's Parquet type mapping (README "Fidelity"): each column's physical and
 * logical type (DuckDB's parquet_schema) and every cell of ~50 sampled rows (DuckDB; datetimes with
 * hyparquet, as DuckDB reads a UTC nanosecond timestamp as microseconds).
 *
 * The candidates are NOT dependencies of monitorlift; install them in a scratch folder outside the
 * repository (no install scripts are needed), e.g.
 *
 *   mkdir -p /tmp/pqw && cd /tmp/pqw && npm init -y && npm install --ignore-scripts \
 *     parquet-wasm apache-arrow "dsnp-parquetjs@npm:@dsnp/parquetjs@1.8.9" @duckdb/node-api
 *
 * (@dsnp/parquetjs 1.9.3, the newest, was published without its dist/ folder and cannot be loaded.)
 *
 *   node scripts/bench-parquet-writers.ts [--rows 200000] [--dir /tmp/pqw] [--writers monitorlift,duckdb] [--keep]
 *
 * --writers picks writers by the start of their names (case-insensitive); --keep keeps the files.
 *
 * --dir defaults to $PARQUET_WRITERS_DIR, else /tmp/pqw. monitorlift's own encoder and the read-back
 * use the repository's node_modules (hyparquet-writer; DuckDB is a devDependency).
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { decodeBool, decodeDatetime, decodeInt, decodeLong, decodeReal, decodeString, dynamicJsonText } from "../src/sinks/cells.ts";
import { createChunkEncoder } from "../src/sinks/formats/index.ts";
import type { Column, RawRow } from "../src/table.ts";
import { columns, resetRows, row } from "./bench/encoder-rows.ts";
import { RowBatch } from "../src/row-batch.ts";

const BATCH = 10_000;
/** Row group size given to the candidates (monitorlift's own groups end at 8 MiB of cell text: ~12k of these rows). */
const GROUP_ROWS = 16_384;

interface Candidate {
  /** Packages the writer needs from the scratch folder. */
  readonly packages: readonly string[];
  /** Encodes rows 0..total-1 into `file`; returns the ms spent generating rows (subtracted). */
  readonly run: (total: number, file: string, load: Loader) => Promise<number>;
}
type Loader = (name: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One decoded cell as the candidates (not monitorlift) are given it. */
function decodeCell(c: Column, raw: string): unknown {
  switch (c.type) {
    case "datetime":
      return decodeDatetime(raw)?.epochNanos ?? null;
    case "bool":
      return decodeBool(raw);
    case "int":
      return decodeInt(raw);
    case "long":
      return decodeLong(raw);
    case "real":
      return decodeReal(raw);
    case "dynamic":
      return dynamicJsonText(raw);
    default:
      return decodeString(raw);
  }
}

/** Batches of raw rows, timing their generation apart. */
/** CPU µs spent generating rows in this process (subtracted from the writer's CPU). */
let genCpuMicros = 0;

function* batches(total: number, clock: { genMs: number }): Generator<RawRow[]> {
  resetRows();
  for (let done = 0; done < total; done += BATCH) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const batch: RawRow[] = [];
    for (let i = done; i < Math.min(total, done + BATCH); i++) batch.push(row(i));
    const c = process.cpuUsage(c0);
    genCpuMicros += c.user + c.system;
    clock.genMs += performance.now() - t0;
    yield batch;
  }
}

const candidates: Record<string, Candidate> = {
  "baseline: decode cells, no writer": {
    packages: [],
    async run(total) {
      const clock = { genMs: 0 };
      let nonNull = 0;
      for (const batch of batches(total, clock)) for (const raw of batch) columns.forEach((c, k) => void (decodeCell(c, raw[k]!) !== null && nonNull++));
      if (nonNull === 0) throw new Error("no cells decoded");
      return clock.genMs;
    },
  },

  "monitorlift (hyparquet-writer)": {
    packages: [],
    async run(total, file) {
      const clock = { genMs: 0 };
      const fd = openSync(file, "w");
      const encoder = createChunkEncoder({ format: "parquet", compression: "none" }, columns);
      for (const batch of batches(total, clock)) for (const part of await encoder.encode(RowBatch.of(batch))) writeSync(fd, part);
      for (const part of await encoder.finish()) writeSync(fd, part);
      closeSync(fd);
      return clock.genMs;
    },
  },

  "parquet-wasm + apache-arrow": {
    packages: ["parquet-wasm", "apache-arrow"],
    async run(total, file, load) {
      const arrow = await load("apache-arrow");
      const pw = await load("parquet-wasm");
      const json = new Map([["ARROW:extension:name", "arrow.json"]]);
      const fields = columns.map((c) => {
        switch (c.type) {
          case "datetime":
            return new arrow.Field(c.name, new arrow.TimestampNanosecond("UTC"), true);
          case "bool":
            return new arrow.Field(c.name, new arrow.Bool(), true);
          case "int":
            return new arrow.Field(c.name, new arrow.Int32(), true);
          case "long":
            return new arrow.Field(c.name, new arrow.Int64(), true);
          case "real":
            return new arrow.Field(c.name, new arrow.Float64(), true);
          case "dynamic":
            return new arrow.Field(c.name, new arrow.Utf8(), true, json);
          default:
            return new arrow.Field(c.name, new arrow.Utf8(), true);
        }
      });
      const schema = new arrow.Schema(fields);
      const clock = { genMs: 0 };
      const source = batches(total, clock);
      const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(GROUP_ROWS).setCreatedBy("bench").build();
      const input = new ReadableStream({
        pull(controller) {
          const next = source.next();
          if (next.done) return controller.close();
          const rows = next.value;
          const n = rows.length;
          const children = columns.map((c, k) => {
            const field = fields[k];
            const validity = new Uint8Array(Math.ceil(n / 8));
            let nulls = 0;
            let values: BigInt64Array | Int32Array | Float64Array | Uint8Array | Array<string | null>;
            if (c.type === "datetime" || c.type === "long") values = new BigInt64Array(n);
            else if (c.type === "int") values = new Int32Array(n);
            else if (c.type === "real") values = new Float64Array(n);
            else if (c.type === "bool") values = new Uint8Array(Math.ceil(n / 8));
            else values = new Array<string | null>(n);
            for (let i = 0; i < n; i++) {
              const v = decodeCell(c, rows[i]![k]!);
              if (v === null) {
                nulls++;
                if (Array.isArray(values)) values[i] = null;
                continue;
              }
              validity[i >> 3]! |= 1 << (i & 7);
              if (c.type === "bool") {
                if (v) (values as Uint8Array)[i >> 3]! |= 1 << (i & 7);
              } else if (Array.isArray(values)) values[i] = v as string;
              else (values as unknown as unknown[])[i] = v;
            }
            if (Array.isArray(values)) return arrow.vectorFromArray(values, field.type).data[0];
            return arrow.makeData({ type: field.type, length: n, nullCount: nulls, nullBitmap: validity, data: values });
          });
          const data = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children });
          const ipc = arrow.tableToIPC(new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]), "stream");
          for (const b of pw.Table.fromIPCStream(ipc).recordBatches()) controller.enqueue(b);
        },
      });
      const output = await pw.transformParquetStream(input, props);
      const fd = openSync(file, "w");
      for await (const piece of output) writeSync(fd, piece as Uint8Array);
      closeSync(fd);
      return clock.genMs;
    },
  },

  "@dsnp/parquetjs 1.8.9": {
    packages: ["dsnp-parquetjs"],
    async run(total, file, load) {
      const pq = await load("dsnp-parquetjs");
      const spec: Record<string, unknown> = {};
      for (const c of columns) {
        const type = { datetime: "TIMESTAMP_MICROS", bool: "BOOLEAN", int: "INT32", long: "INT64", real: "DOUBLE", dynamic: "JSON" }[c.type as string] ?? "UTF8";
        spec[c.name] = { type, optional: true, compression: "SNAPPY" };
      }
      const writer = await pq.ParquetWriter.openFile(new pq.ParquetSchema(spec), file, { rowGroupSize: GROUP_ROWS });
      const clock = { genMs: 0 };
      for (const batch of batches(total, clock)) {
        for (const raw of batch) {
          const record: Record<string, unknown> = {};
          columns.forEach((c, k) => {
            let v = decodeCell(c, raw[k]!);
            if (v === null) return; // parquetjs: a missing optional field is null
            // No nanosecond timestamps in parquetjs: microseconds (the 100 ns digit is lost).
            if (c.type === "datetime") v = (v as bigint) / 1000n;
            // Its JSON type stringifies the value it is given: hand it the parsed value.
            else if (c.type === "dynamic") v = JSON.parse(v as string);
            record[c.name] = v;
          });
          await writer.appendRow(record);
        }
      }
      await writer.close();
      return clock.genMs;
    },
  },

  "DuckDB @duckdb/node-api (appender + COPY)": {
    packages: ["@duckdb/node-api"],
    async run(total, file, load) {
      const duck = await load("@duckdb/node-api");
      const instance = await duck.DuckDBInstance.create(":memory:");
      const conn = await instance.connect();
      const sqlType = (c: Column) =>
        ({ datetime: "TIMESTAMP_NS", bool: "BOOLEAN", int: "INTEGER", long: "BIGINT", real: "DOUBLE", dynamic: "JSON" })[c.type as string] ?? "VARCHAR";
      await conn.run(`CREATE TABLE t (${columns.map((c) => `"${c.name}" ${sqlType(c)}`).join(", ")})`);
      const appender = await conn.createAppender("t");
      const clock = { genMs: 0 };
      for (const batch of batches(total, clock)) {
        for (const raw of batch) {
          columns.forEach((c, k) => {
            const v = decodeCell(c, raw[k]!);
            if (v === null) return appender.appendNull();
            switch (c.type) {
              case "datetime":
                return appender.appendTimestampNanoseconds(new duck.DuckDBTimestampNanosecondsValue(v as bigint));
              case "bool":
                return appender.appendBoolean(v as boolean);
              case "int":
                return appender.appendInteger(v as number);
              case "long":
                return appender.appendBigInt(v as bigint);
              case "real":
                return appender.appendDouble(v as number);
              default:
                return appender.appendVarchar(v as string);
            }
          });
          appender.endRow();
        }
        appender.flushSync();
      }
      appender.closeSync();
      await conn.run(`COPY t TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${GROUP_ROWS})`);
      conn.closeSync();
      return clock.genMs;
    },
  },
};

// ---------------------------------------------------------------------------------------------

const { values: opts } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    dir: { type: "string", default: process.env.PARQUET_WRITERS_DIR ?? "/tmp/pqw" },
    writers: { type: "string" },
    keep: { type: "boolean", default: false },
    child: { type: "string" },
    file: { type: "string" },
  },
});
const TOTAL = Number(opts.rows);
const DIR = opts.dir!;

function loaderFor(dir: string): Loader {
  const req = createRequire(join(dir, "package.json"));
  return async (name) => import(pathToFileURL(req.resolve(name)).href);
}

function missing(dir: string, packages: readonly string[]): string[] {
  const req = createRequire(join(dir, "package.json"));
  return packages.filter((p) => {
    try {
      req.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
}

if (opts.child) {
  // Child: one writer, one file; prints one JSON line.
  const candidate = candidates[opts.child]!;
  const load = loaderFor(DIR);
  for (const p of candidate.packages) await load(p); // module loading is not timed
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const genMs = await candidate.run(TOTAL, opts.file!, load);
  const ms = performance.now() - t0 - genMs;
  const cpu = process.cpuUsage(c0);
  const usage = process.resourceUsage();
  console.log(JSON.stringify({ ms, cpuS: (cpu.user + cpu.system - genCpuMicros) / 1e6, peakRssMB: usage.maxRSS / 1024 }));
  process.exit(0);
}

interface Result {
  name: string;
  rowsPerS?: number;
  cpuS?: number;
  peakRssMB?: number;
  sizeMB?: number;
  types?: string;
  values?: string;
  error?: string;
}

/** Parquet type of a column as "PHYSICAL/logical-or-converted", read from the file's own schema. */
function typeOk(c: Column, s: { type: string; converted_type: string | null; logical_type: string | null }): string | null {
  const logical = `${s.logical_type ?? ""} ${s.converted_type ?? ""}`;
  const want: Record<string, [string, RegExp | null, string]> = {
    datetime: ["INT64", /TimestampType\(isAdjustedToUTC=(1|true),.*NANOS=NanoSeconds/i, "TIMESTAMP(NANOS, UTC)"],
    bool: ["BOOLEAN", null, ""],
    int: ["INT32", null, ""],
    long: ["INT64", null, ""],
    real: ["DOUBLE", null, ""],
    dynamic: ["BYTE_ARRAY", /JSON/, "JSON"],
  };
  const [physical, re, label] = want[c.type] ?? ["BYTE_ARRAY", /UTF8|String/i, "UTF8"];
  if (s.type !== physical || (re && !re.test(logical)) || (!re && /Timestamp|DECIMAL/i.test(logical))) {
    return `${c.name} (${c.type}): ${s.type} ${logical.trim() || "-"}, expected ${physical} ${label}`;
  }
  return null;
}

async function check(file: string, sample: Map<number, RawRow>): Promise<{ types: string; values: string; count: number }> {
  // Loaded here, in the parent only, so that no writer's process carries DuckDB's native module.
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const { parquetReadObjects } = await import("hyparquet");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const path = file.replaceAll("'", "''");
  const schemaRows = (await conn.runAndReadAll(`SELECT name, type, converted_type, logical_type FROM parquet_schema('${path}')`)).getRowObjects();
  const typeErrors: string[] = [];
  for (const c of columns) {
    const s = schemaRows.find((r) => r.name === c.name) as { type: string; converted_type: string | null; logical_type: string | null } | undefined;
    if (!s) typeErrors.push(`${c.name}: missing`);
    else {
      const bad = typeOk(c, { type: String(s.type), converted_type: s.converted_type === null ? null : String(s.converted_type), logical_type: s.logical_type === null ? null : String(s.logical_type) });
      if (bad) typeErrors.push(bad);
    }
  }
  const count = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${path}')`)).getRows()[0]![0]);
  // DuckDB reads a UTC nanosecond timestamp as TIMESTAMPTZ (microseconds): datetimes are read with hyparquet.
  const select = columns.map((c) => (c.type === "datetime" ? `NULL AS "${c.name}"` : `"${c.name}"::VARCHAR AS "${c.name}"`)).join(", ");
  const got = (
    await conn.runAndReadAll(
      `SELECT file_row_number AS n, ${select} FROM read_parquet('${path}', file_row_number = true) WHERE file_row_number IN (${[...sample.keys()].join(",")})`,
    )
  ).getRowObjects();
  conn.closeSync();
  const bytes = readFileSync(file);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const parsers = { timestampFromNanoseconds: (n: bigint) => n, timestampFromMicroseconds: (n: bigint) => BigInt(n) * 1000n, timestampFromMilliseconds: (n: bigint) => BigInt(n) * 1_000_000n };
  const datetimes = columns.filter((c) => c.type === "datetime").map((c) => c.name);
  for (const r of got) {
    const n = Number(r.n);
    const [obj] = (await parquetReadObjects({ file: ab, columns: datetimes, rowStart: n, rowEnd: n + 1, parsers: parsers as never })) as Record<string, unknown>[];
    for (const name of datetimes) r[name] = (obj?.[name] ?? null) as never;
  }
  const wrong = new Map<string, string>();
  for (const r of got) {
    const raw = sample.get(Number(r.n))!;
    columns.forEach((c, k) => {
      const expected = decodeCell(c, raw[k]!);
      const v = r[c.name];
      let same: boolean;
      if (expected === null || v === null) same = expected === v;
      else if (c.type === "datetime") same = BigInt(v as bigint) === expected;
      else if (c.type === "real") same = Object.is(Number(v), expected);
      else same = String(v) === String(expected);
      if (!same && !wrong.has(c.name)) wrong.set(c.name, `${c.name}: ${String(v)} ≠ ${String(expected)}`);
    });
  }
  const values = got.length !== sample.size ? `${got.length}/${sample.size} sampled rows found` : wrong.size ? [...wrong.values()].join("; ") : "exact";
  return { types: typeErrors.length ? typeErrors.join("; ") : "exact", values, count };
}

const names = opts.writers
  ? opts.writers.split(",").map((w) => {
      const name = Object.keys(candidates).find((k) => k.toLowerCase().startsWith(w.trim().toLowerCase()));
      if (!name) {
        console.error(`--writers: no writer's name starts with "${w.trim()}" (writers: ${Object.keys(candidates).join(" | ")})`);
        process.exit(2);
      }
      return name;
    })
  : Object.keys(candidates);
const needed = [...new Set(names.flatMap((n) => candidates[n]?.packages ?? []))];
const absent = missing(DIR, needed);
if (absent.length) {
  console.error(
    `Candidates not installed in ${DIR}: ${absent.join(", ")}. Install them there (outside the repository; no install scripts needed):\n` +
      `  mkdir -p ${DIR} && cd ${DIR} && npm init -y && npm install --ignore-scripts parquet-wasm apache-arrow "dsnp-parquetjs@npm:@dsnp/parquetjs@1.8.9" @duckdb/node-api\n` +
      `or point --dir / PARQUET_WRITERS_DIR at the folder that has them. Writers needing them are skipped.`,
  );
}

// The sampled rows' raw cells (the sequence is deterministic: regenerate it).
const sampleAt = new Set<number>([0, TOTAL - 1]);
for (let i = 0; i < 48; i++) sampleAt.add(Math.floor((TOTAL * i) / 48) + (i % 7));
const sample = new Map<number, RawRow>();
resetRows();
for (let i = 0; i < TOTAL; i++) {
  const r = row(i);
  if (sampleAt.has(i)) sample.set(i, r);
}

const work = mkdtempSync(join(tmpdir(), "bench-parquet-writers-"));
const script = fileURLToPath(import.meta.url);
const results: Result[] = [];
for (const name of names) {
  const candidate = candidates[name];
  if (!candidate) continue;
  if (missing(DIR, candidate.packages).length) {
    results.push({ name, error: `not installed in ${DIR}` });
    continue;
  }
  const file = join(work, `${results.length}.parquet`);
  process.stderr.write(`${name}… `);
  const child = spawnSync(process.execPath, [script, "--child", name, "--rows", String(TOTAL), "--dir", DIR, "--file", file], { encoding: "utf8", maxBuffer: 1 << 26 });
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  if (child.status !== 0 || !line.startsWith("{")) {
    const error = (child.stderr.trim().split("\n").find((l) => /Error|error/.test(l)) ?? `exit ${child.status}`).slice(0, 200);
    process.stderr.write(`failed: ${error}\n`);
    results.push({ name, error });
    continue;
  }
  const m = JSON.parse(line) as { ms: number; cpuS: number; peakRssMB: number };
  const r: Result = { name, rowsPerS: Math.round(TOTAL / (m.ms / 1000)), cpuS: m.cpuS, peakRssMB: m.peakRssMB, sizeMB: existsSync(file) ? statSync(file).size / 1e6 : 0 };
  if (!existsSync(file)) {
    r.types = r.values = "— (no file)";
    process.stderr.write("done\n");
    results.push(r);
    continue;
  }
  try {
    const c = await check(file, sample);
    r.types = c.types;
    r.values = c.count === TOTAL ? c.values : `${c.count} rows read back, ${TOTAL} written; ${c.values}`;
  } catch (err) {
    r.types = r.values = `read back failed: ${(err as Error).message.split("\n")[0]}`;
  }
  process.stderr.write("done\n");
  results.push(r);
}
if (!opts.keep) rmSync(work, { recursive: true, force: true });
else console.error(`files kept in ${work}`);

console.log(`\n${TOTAL.toLocaleString("en")} rows × ${columns.length} columns, Node ${process.version}, writers from ${DIR}\n`);
console.log("| writer | rows/s | encode CPU s | peak RSS MB | file MB | types | sampled values |");
console.log("|---|---|---|---|---|---|---|");
for (const r of results) {
  if (r.error) console.log(`| ${r.name} | — | — | — | — | ${r.error} | |`);
  else
    console.log(
      `| ${r.name} | ${r.rowsPerS!.toLocaleString("en")} | ${r.cpuS!.toFixed(1)} | ${Math.round(r.peakRssMB!)} | ${r.sizeMB!.toFixed(1)} | ${r.types} | ${r.values} |`,
    );
}
