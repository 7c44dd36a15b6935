/**
 * The KQL text sent for one window. A table query becomes
 *
 *   <table>
 *   | where <window filter>
 *   | <transform>
 *
 *   | extend _ItemId = _ItemId          (the query's hiddenColumns; default ["_ItemId"])
 *   | <transform>
 *
 * and a .kql file has its single "| $window" stage replaced by "| where <window filter>".
 * The service hides `_ItemId`, `_BilledSize`, `_IsBillable` and `_SubscriptionId` from results
 * unless the query names them; `extend X = X` shows X, before the transform so it can use or drop
 * it. A .kql file names what it wants itself (validate --connect warns when `_ItemId` is missing).
 * Ingestion mode filters on ingestion_time() (every record is exported exactly once, however late it
 * arrives) and bounds the time column by lookback/future so the service scans little; time mode
 * filters on the time column only. Nothing after the filter may widen or break the window: that is
 * checked here with a token scan (strings and comments are skipped, so words inside them are fine).
 */
import { ConfigError } from "../errors.ts";
import type { TimeWindow } from "./window.ts";
import { KqlScanError, positionOf, scanKql, type KqlToken } from "./kql-tokens.ts";

export const WINDOW_MACRO = "$window";
/** The standard columns the service hides from results unless a query names them (logs/log-standard-columns.md). */
export const HIDDEN_STANDARD_COLUMNS = ["_ItemId", "_BilledSize", "_IsBillable", "_SubscriptionId"] as const;
export type HiddenStandardColumn = (typeof HIDDEN_STANDARD_COLUMNS)[number];
/** What a table query shows of them when its config says nothing: the record's unique id. */
export const DEFAULT_HIDDEN_COLUMNS: readonly HiddenStandardColumn[] = ["_ItemId"];
/** How much wider than the filter the timespan sent to the service is, on each side. */
export const TIMESPAN_MARGIN_MS = 60_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Words that may not follow the window filter, and why. */
const FORBIDDEN_WORDS: Record<string, string> = {
  union: "it adds rows from other tables, outside the window",
  join: "it brings in rows from another table, outside the window",
  lookup: "it brings in rows from another table, outside the window",
  externaldata: "it creates rows that do not come from the window",
  datatable: "it creates rows that do not come from the window",
  range: "it creates rows that do not come from the window",
  print: "it creates rows that do not come from the window",
  evaluate: "plugins can produce rows that do not come from the window",
  materialize: "it caches a subquery that can read outside the window",
  find: "it searches other tables, outside the window",
  search: "it searches other tables, outside the window",
  fork: "it produces several result tables, while a window exports one",
  facet: "it produces several result tables, while a window exports one",
};
/** Functions that read other data sources, and are forbidden when called. */
const FORBIDDEN_CALLS: Record<string, string> = {
  workspace: "it reads another workspace, outside the window",
  app: "it reads an Application Insights resource, outside the window",
  resource: "it reads another Azure resource, outside the window",
  cluster: "it reads an Azure Data Explorer cluster, outside the window",
  database: "it reads another database, outside the window",
  adx: "it reads an Azure Data Explorer cluster, outside the window",
};
const NOT_A_TABLE = new Set(["let", "set", "declare", "alias", "pattern", "restrict", ...Object.keys(FORBIDDEN_WORDS)]);

export interface WindowQuerySource {
  /** For error messages: the query's name and position in the config ("queries[2]"). */
  name?: string;
  index?: number;
  table?: string;
  transform?: string;
  /** Table query: the hidden standard columns to show (default DEFAULT_HIDDEN_COLUMNS; [] for none). */
  hiddenColumns?: readonly string[];
  /** The .kql file text, containing "| $window" once. Ignored when `table` is set. */
  kql?: string;
}

export interface WindowFilterSettings {
  mode: "ingestion" | "time";
  /** Milliseconds. */
  lookbackMs: number;
  futureMs: number;
  timeColumn: string;
}

export interface WindowQuery {
  query: string;
  /** ISO 8601 interval "start/end" sent as the request's timespan; a bit wider than the filter. */
  timespan: string;
}

/** A problem of a query's text, keyed by the config key holding the text. */
export interface QueryTextProblem {
  key: "table" | "transform" | "file" | "hiddenColumns";
  message: string;
}

function iso(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`not an instant in epoch milliseconds: ${ms}`);
  const text = new Date(ms).toISOString();
  if (text.length !== 24) throw new RangeError(`instant outside the years 0000-9999: ${ms}`);
  return text;
}

/** "datetime(2026-11-22T03:00:00.0000000Z)": KQL's 7 fractional digits (100 ns ticks). */
export function kqlDatetime(ms: number): string {
  return `datetime(${iso(ms).slice(0, 23)}0000Z)`;
}

/** The "where …" stage selecting one window's records. */
export function windowFilter(w: TimeWindow, s: WindowFilterSettings): string {
  checkWindow(w);
  const col = timeColumnOf(s);
  if (s.mode === "time") return `where ${col} >= ${kqlDatetime(w.start)} and ${col} < ${kqlDatetime(w.end)}`;
  return (
    `where ingestion_time() >= ${kqlDatetime(w.start)} and ingestion_time() < ${kqlDatetime(w.end)}` +
    ` and ${col} >= ${kqlDatetime(w.start - s.lookbackMs)} and ${col} < ${kqlDatetime(w.end + s.futureMs)}`
  );
}

/**
 * The request timespan, one minute wider on each side than what it must cover. The service applies
 * it to each table's TimeGenerated, whatever column the filter uses, so it must cover the
 * TimeGenerated of every row the filter selects:
 * - timeColumn TimeGenerated: the filter's own range.
 * - ingestion mode, another time column: the rows ingested in [start, end). The service keeps
 *   TimeGenerated at most two days before receipt and one day after it, and ingests at most hours
 *   after receipt (logs/data-ingestion-time.md), which is what lookback (default P3D) and future
 *   (P1D) bound: [start − lookback, end + future], the same range as for TimeGenerated.
 * - time mode, another time column: TimeGenerated is usually the receipt time, later than the event
 *   time by the ingestion delay (at most lookback, the bound ingestion mode puts on it) and earlier
 *   only by clock skew (at most future): [start − future, end + lookback]. The window's own range
 *   would cut every row received more than a minute after its window.
 */
export function windowTimespan(w: TimeWindow, s: WindowFilterSettings): string {
  checkWindow(w);
  let from: number;
  let to: number;
  if (s.mode === "ingestion") {
    from = w.start - s.lookbackMs;
    to = w.end + s.futureMs;
  } else if (timeColumnOf(s) === "TimeGenerated") {
    from = w.start;
    to = w.end;
  } else {
    from = w.start - s.futureMs;
    to = w.end + s.lookbackMs;
  }
  return `${iso(from - TIMESPAN_MARGIN_MS)}/${iso(to + TIMESPAN_MARGIN_MS)}`;
}

/** The stage showing a table query's hidden columns ("extend _ItemId = _ItemId"), or "" for none. */
export function revealStage(hiddenColumns: readonly string[] = DEFAULT_HIDDEN_COLUMNS): string {
  return hiddenColumns.length === 0 ? "" : `extend ${hiddenColumns.map((c) => `${c} = ${c}`).join(", ")}`;
}

/** The stages after a table query's filter: "\n| extend …" for its hidden columns, "\n| <transform>". */
function tableTail(transform: string | undefined, hiddenColumns: readonly string[] | undefined): string {
  const reveal = revealStage(hiddenColumns);
  const t = transform === undefined ? "" : stripPipe(transform);
  return `${reveal === "" ? "" : `\n| ${reveal}`}${t === "" ? "" : `\n| ${t}`}`;
}

/** The macro form of a table query: "<table>\n| $window", its reveal stage and "\n| <transform>" when given. */
export function tableQueryText(table: string, transform?: string, hiddenColumns?: readonly string[]): string {
  return `${table}\n| ${WINDOW_MACRO}${tableTail(transform, hiddenColumns)}`;
}

/** Problems of a hiddenColumns list: only the hidden standard columns, each once. */
function checkHiddenColumns(list: readonly string[], out: QueryTextProblem[]): void {
  const known: readonly string[] = HIDDEN_STANDARD_COLUMNS;
  list.forEach((name, i) => {
    if (!known.includes(name)) {
      out.push({ key: "hiddenColumns", message: `"${name}" is not a hidden standard column (${HIDDEN_STANDARD_COLUMNS.join(", ")}) — visible columns are exported anyway` });
    } else if (list.indexOf(name) !== i) out.push({ key: "hiddenColumns", message: `lists "${name}" twice` });
  });
}

function stripPipe(transform: string): string {
  return transform.trim().replace(/^\|\s*/, "").trim();
}

/** A window, or the empty window [t, t) that `validate --connect` uses to run a query without rows. */
function checkWindow(w: TimeWindow): void {
  if (!Number.isSafeInteger(w.start) || !Number.isSafeInteger(w.end) || w.end < w.start) {
    throw new RangeError(`not a window: [${w.start}, ${w.end})`);
  }
}

function timeColumnOf(s: WindowFilterSettings): string {
  if (!IDENTIFIER.test(s.timeColumn)) {
    throw new ConfigError(`window.timeColumn: "${s.timeColumn}" is not a column name`, [`window.timeColumn: must be a column name`]);
  }
  return s.timeColumn;
}

function where(text: string, offset: number, multiline: boolean): string {
  const p = positionOf(text, offset);
  return multiline || p.line > 1 ? `line ${p.line}, column ${p.column}` : `column ${p.column}`;
}

/** Forbidden words, calls and statement ends among `tokens` (all after the window filter). */
function scanAfterFilter(tokens: readonly KqlToken[], text: string, multiline: boolean, key: QueryTextProblem["key"], out: QueryTextProblem[]): void {
  tokens.forEach((t, k) => {
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (t.kind === "punct" && t.text === ";") {
      out.push({ key, message: `uses ";" after the window filter (${where(text, t.start, multiline)}), which is not allowed — it ends the statement, and a window is exported by one statement` });
      return;
    }
    if (t.kind !== "identifier" || (prev?.kind === "punct" && prev.text === ".")) return;
    const word = FORBIDDEN_WORDS[t.text];
    if (word !== undefined) {
      out.push({ key, message: `uses "${t.text}" after the window filter (${where(text, t.start, multiline)}), which is not allowed — ${word}` });
      return;
    }
    const call = FORBIDDEN_CALLS[t.text];
    if (call !== undefined && next?.kind === "punct" && next.text === "(") {
      out.push({ key, message: `uses "${t.text}()" after the window filter (${where(text, t.start, multiline)}), which is not allowed — ${call}` });
    }
  });
}

function scan(text: string, key: QueryTextProblem["key"], multiline: boolean, out: QueryTextProblem[]): KqlToken[] | undefined {
  try {
    return scanKql(text);
  } catch (err) {
    if (!(err instanceof KqlScanError)) throw err;
    out.push({ key, message: `has an ${err.message} (${where(text, err.offset, multiline)})` });
    return undefined;
  }
}

function checkTableName(table: string, key: "table" | "file", out: QueryTextProblem[]): void {
  if (!IDENTIFIER.test(table)) out.push({ key, message: `"${table}" is not a table name (letters, digits and "_", not starting with a digit)` });
  else if (NOT_A_TABLE.has(table)) out.push({ key, message: `"${table}" is a KQL keyword, not a table name` });
}

/** The macro token of a file query's text, or undefined with the problems pushed to `out`. */
function checkFile(kql: string, out: QueryTextProblem[]): KqlToken | undefined {
  const tokens = scan(kql, "file", true, out);
  if (!tokens) return undefined;
  const macros = tokens.map((t, k) => ({ t, k })).filter(({ t }) => t.kind === "identifier" && t.text === WINDOW_MACRO);
  const example = `e.g. "AppDependencies | ${WINDOW_MACRO} | where Success == false"`;
  if (macros.length === 0) {
    out.push({ key: "file", message: `has no "| ${WINDOW_MACRO}" stage (outside comments and strings) — put it right after the table name, ${example}` });
    return undefined;
  }
  if (macros.length > 1) {
    const lines = macros.map(({ t }) => positionOf(kql, t.start).line).join(", ");
    out.push({ key: "file", message: `contains ${WINDOW_MACRO} ${macros.length} times (lines ${lines}) — it must appear exactly once, right after the table name` });
    return undefined;
  }
  const { t: macro, k } = macros[0]!;
  const before = tokens[k - 1];
  const after = tokens[k + 1];
  const isPipe = (t: KqlToken | undefined): boolean => t?.kind === "punct" && t.text === "|";
  if (!isPipe(before) || (after !== undefined && !isPipe(after))) {
    out.push({ key: "file", message: `must use ${WINDOW_MACRO} as a whole pipe stage "| ${WINDOW_MACRO}" (${where(kql, macro.start, true)}), ${example}` });
    return undefined;
  }
  // Only "Table" or "workspace('x').Table" may stand before the macro's pipe.
  const head = tokens.slice(0, k - 1);
  const text = head.map((t) => t.text).join("");
  const simple = head.length === 1 && head[0]!.kind === "identifier";
  const crossWorkspace =
    head.length === 6 &&
    head[0]!.text === "workspace" &&
    head[1]!.text === "(" &&
    head[2]!.kind === "string" &&
    head[3]!.text === ")" &&
    head[4]!.text === "." &&
    head[5]!.kind === "identifier";
  if (!simple && !crossWorkspace) {
    out.push({
      key: "file",
      message: `must have only a table name (or workspace('…').Table) before "| ${WINDOW_MACRO}"${head.length ? `, not ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}` : " — the table name is missing"}; move other stages after it, ${example}`,
    });
  } else checkTableName(head[head.length - 1]!.text, "file", out);
  scanAfterFilter(tokens.slice(k + 1), kql, true, "file", out);
  return macro;
}

function checkTransform(transform: string, out: QueryTextProblem[]): void {
  const text = stripPipe(transform);
  if (text === "") {
    out.push({ key: "transform", message: `is empty — remove the key or give pipe stages such as "where Success == false"` });
    return;
  }
  const tokens = scan(text, "transform", false, out);
  if (!tokens) return;
  if (tokens.some((t) => t.kind === "identifier" && t.text === WINDOW_MACRO)) {
    out.push({ key: "transform", message: `must not contain ${WINDOW_MACRO}: the window filter is placed before the transform automatically` });
  }
  scanAfterFilter(tokens, text, false, "transform", out);
}

/** Everything wrong with a query's text (empty when it can be sent). */
export function checkQueryText(q: WindowQuerySource): QueryTextProblem[] {
  const out: QueryTextProblem[] = [];
  if (q.table !== undefined) {
    checkTableName(q.table, "table", out);
    if (q.hiddenColumns !== undefined) checkHiddenColumns(q.hiddenColumns, out);
    if (q.transform !== undefined) checkTransform(q.transform, out);
  } else if (q.kql !== undefined) {
    checkFile(q.kql, out);
  } else {
    out.push({ key: "table", message: `the query has neither a table nor query text` });
  }
  return out;
}

function label(q: WindowQuerySource): string {
  return q.index !== undefined ? `queries[${q.index}]` : q.name !== undefined ? `query "${q.name}"` : "query";
}

/** The text and timespan to send for window `w`. Throws ConfigError when the query text is not acceptable. */
export function buildWindowQuery(q: WindowQuerySource, w: TimeWindow, s: WindowFilterSettings): WindowQuery {
  const problems = checkQueryText(q);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${label(q)}.${p.key}: ${p.message}`);
    const who = q.name !== undefined ? `Query "${q.name}"` : "The query";
    throw new ConfigError(`${who} cannot be run: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ""}`, lines);
  }
  const filter = windowFilter(w, s);
  const timespan = windowTimespan(w, s);
  if (q.table !== undefined) return { query: `${q.table}\n| ${filter}${tableTail(q.transform, q.hiddenColumns)}`, timespan };
  const kql = q.kql!;
  const macro = checkFile(kql, [])!;
  return { query: `${kql.slice(0, macro.start)}${filter}${kql.slice(macro.end)}`, timespan };
}

/**
 * validate --connect: a warning when a query's result has no `_ItemId` (the record's unique id,
 * the only handle to check exactly-once downstream), unless a table query's hiddenColumns leave
 * it out on purpose. Undefined when there is nothing to say.
 */
export function missingItemIdWarning(q: WindowQuerySource, resultColumns: readonly string[]): string | undefined {
  if (resultColumns.includes("_ItemId")) return undefined;
  const who = q.name !== undefined ? `query ${q.name}` : label(q);
  if (q.table !== undefined) {
    if (q.hiddenColumns !== undefined && !q.hiddenColumns.includes("_ItemId")) return undefined;
    return `${who}: the result has no _ItemId column — the transform drops it; keep it (e.g. "project …, _ItemId") so each exported row keeps its unique id`;
  }
  return `${who}: the result has no _ItemId column — the service hides it unless the query names it; add it to the .kql file's project (or "| extend _ItemId = _ItemId") so each exported row keeps its unique id`;
}
