/**
 * The pull side of one query response: a streamed 200 body read on demand, as row batches.
 *
 * The runner asks for the next batch when it is ready for one, so the socket is read only as
 * fast as the sink writes (backpressure), and the idle watchdog runs only while a read from the
 * network is pending: the consumer's own time between reads never counts as the service's
 * silence. The batches never throw; how the body ended is told once, by `outcome`, which never
 * rejects either (so nothing can become an unhandled rejection):
 *   ok         the body was read to its end and the result is complete;
 *   truncated  the service cut the result at a row or size limit (a PartialError naming
 *              E_QUERY_RESULT_SET_TOO_LARGE) or maxRows/maxBytes was reached: discard the rows, split;
 *   error      a typed error: a PartialError that is not a limit (SOURCE_QUERY_FAILED, retryable: the
 *              service's own message), a permissions section saying rows were withheld
 *              (SOURCE_PERMISSIONS, permanent), a cut body (a reset: SOURCE_CONNECTION; a body that ended mid-document:
 *              SOURCE_PROTOCOL with retryable true), an unreadable one (SOURCE_PROTOCOL, permanent), the
 *              watchdog or deadline (SOURCE_TIMEOUT), shutdown (ABORTED), or the consumer stopped
 *              reading before the end (ABORTED).
 * Stopping early, through `return()` (a `break` or a throw inside `for await`) or `cancel()`,
 * destroys the body and releases the connection.
 */
import { AbortedError, MonitorliftError, SourceError } from "../errors.ts";
import type { RowBatch } from "../row-batch.ts";
import type { Column } from "../table.ts";
import { ResultParser, unreadable, type ParsedTail } from "./result-parser.ts";

export type QueryOutcome =
  | { kind: "ok"; rows: number; /** Decompressed body bytes. */ bytes: number; statistics?: unknown }
  | { kind: "truncated"; reason: string; rows: number; bytes: number }
  | { kind: "error"; error: MonitorliftError };

export interface QueryResult {
  /** The first table's columns, as the service sent them; every row has exactly this many cells. */
  readonly columns: Column[];
  /** Row batches in body order; single use. */
  readonly batches: AsyncIterable<RowBatch>;
  /** Settles once the batches have ended (drained, stopped early or failed); never rejects. */
  readonly outcome: Promise<QueryOutcome>;
  /** Stop without reading (further): destroys the body. Idempotent; a no-op once the outcome is known. */
  cancel(): void;
}

export interface BodyLimits {
  maxRows: number;
  maxBytes: number;
}

export interface BodyReaderOptions {
  body: NodeJS.ReadableStream;
  limits: BodyLimits;
  idleTimeoutMs: number;
  /** About this many body bytes are parsed at once, their rows handed out as one batch. */
  batchBytes: number;
  /** Aborted by shutdown, the request deadline, or `release` below. */
  signal: AbortSignal;
  /** Turns a failed read (a stream error) into the typed error to report. */
  classify(err: unknown): MonitorliftError;
  /** Called once when reading ends for any reason; `complete` is true when the body was read to its end. */
  release(complete: boolean): void;
}

type Destroyable = NodeJS.ReadableStream & { destroy(e?: Error): void; destroyed?: boolean };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Reads a 200 body up to its first table's columns and returns the pull handle for the rest.
 * Rejects (with a typed error) when the body ends or breaks before the columns are known.
 */
export async function readQueryResult(o: BodyReaderOptions): Promise<QueryResult> {
  const reader = new BodyReader(o);
  try {
    await reader.readHead();
  } catch (err) {
    reader.close(false);
    throw o.classify(err);
  }
  return reader.handle();
}

class BodyReader {
  private readonly body: Destroyable;
  private readonly chunks: AsyncIterator<Buffer>;
  private readonly parser = new ResultParser();
  private bytes = 0;
  /** Body bytes received and not parsed yet (less than batchBytes). */
  private unparsed: Buffer[] = [];
  private unparsedBytes = 0;
  /**
   * The batch parsed and not handed out yet. Never more than one: the parser reuses a batch's memory
   * for the next, so a body is parsed further only once its last batch was handed out and the consumer
   * asked for more.
   */
  private ready: RowBatch | undefined;
  /** Set once the body has been read to its end (the outcome to report after the last batch). */
  private ending: QueryOutcome | undefined;
  private idle: NodeJS.Timeout | undefined;
  private closed = false;
  private settle!: (outcome: QueryOutcome) => void;
  private readonly outcome = new Promise<QueryOutcome>((resolve) => (this.settle = resolve));
  private readonly onAbort = () => this.stop(this.o.signal.reason);
  private readonly o: BodyReaderOptions;

  constructor(o: BodyReaderOptions) {
    this.o = o;
    this.body = o.body as Destroyable;
    this.chunks = (o.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    if (o.signal.aborted) this.onAbort();
    else o.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Reads until the columns are known (rows that came with them wait for the first batch). */
  async readHead(): Promise<void> {
    while (!this.parser.columns) {
      const chunk = await this.nextChunk();
      if (chunk === undefined) {
        this.finish();
        if (!this.parser.columns) throw unreadable("the response has no result table");
        return;
      }
      this.feed(chunk);
    }
  }

  handle(): QueryResult {
    const iterator: AsyncIterableIterator<RowBatch> = {
      next: () => this.next(),
      return: async () => {
        this.end({ kind: "error", error: new AbortedError("the query result was not read to its end") });
        return DONE;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return {
      columns: this.parser.columns!,
      batches: iterator,
      outcome: this.outcome,
      cancel: () => this.end({ kind: "error", error: new AbortedError("the query result was not read") }),
    };
  }

  private async next(): Promise<IteratorResult<RowBatch>> {
    if (this.closed) return DONE;
    try {
      for (;;) {
        const complete = this.ending !== undefined;
        if (this.ready !== undefined && (!complete || this.ending!.kind === "ok")) {
          const value = this.ready;
          this.ready = undefined;
          return { done: false, value };
        }
        if (complete) {
          this.end(this.ending!);
          return DONE;
        }
        if (this.bytes > this.o.limits.maxBytes) {
          this.end({ kind: "truncated", reason: `the response exceeded ${this.o.limits.maxBytes} bytes`, rows: this.parser.rows, bytes: this.bytes });
          return DONE;
        }
        const chunk = await this.nextChunk();
        if (chunk === undefined) this.finish();
        else this.feed(chunk);
      }
    } catch (err) {
      this.end({ kind: "error", error: this.o.classify(err) });
      return DONE;
    }
  }

  /** One read from the network, watched by the idle timer (and only then). */
  private async nextChunk(): Promise<Buffer | undefined> {
    this.idle = setTimeout(
      () => this.stop(new SourceError("SOURCE_TIMEOUT", `the response body stalled for ${this.o.idleTimeoutMs} ms`, { retryable: true })),
      this.o.idleTimeoutMs,
    );
    try {
      const r = await this.chunks.next();
      if (this.o.signal.aborted) throw this.o.signal.reason;
      return r.done ? undefined : r.value;
    } finally {
      clearTimeout(this.idle);
    }
  }

  /**
   * Takes one network chunk. Until the columns are known every chunk is parsed at once; after that
   * chunks gather until about batchBytes, then are parsed together into one batch (one copy of the
   * bytes, however small the network's chunks).
   */
  private feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.unparsed.push(chunk);
    this.unparsedBytes += chunk.length;
    if (this.parser.columns !== undefined && this.unparsedBytes < this.o.batchBytes) return;
    this.parse();
  }

  private parse(): void {
    const chunks = this.unparsed;
    this.unparsed = [];
    this.unparsedBytes = 0;
    if (chunks.length === 0) return;
    if (this.ready !== undefined) throw new MonitorliftError("INTERNAL", "the body was parsed further while a batch was waiting to be handed out");
    this.ready = this.parser.push(chunks);
  }

  /** The body ended: parse what is left and decide the outcome. */
  private finish(): void {
    this.parse();
    const tail = this.parser.end();
    const { maxRows, maxBytes } = this.o.limits;
    const rows = this.parser.rows;
    const bytes = this.bytes;
    const withheld = deniedAccess(tail.permissions);
    if (withheld.length > 0) {
      this.ending = { kind: "error", error: permissionsError(withheld) };
      return;
    }
    if (tail.error && !isResultLimit(tail.error)) {
      this.ending = { kind: "error", error: queryFailed(tail.error) };
      return;
    }
    const reason = tail.error
      ? `the service returned a partial result: ${describeServiceError(tail.error)}`
      : rows >= maxRows
        ? `the result reached the ${maxRows}-row limit`
        : bytes >= maxBytes
          ? `the result reached the ${maxBytes}-byte limit`
          : undefined;
    this.ending = reason !== undefined ? { kind: "truncated", reason, rows, bytes } : { kind: "ok", rows, bytes, statistics: tail.statistics };
  }

  private end(outcome: QueryOutcome): void {
    if (this.closed) return;
    this.settle(outcome);
    this.close(this.ending !== undefined);
  }

  close(complete: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.ready = undefined;
    this.unparsed = [];
    clearTimeout(this.idle);
    this.o.signal.removeEventListener("abort", this.onAbort);
    // Destroyed even when read to its end: that frees a gunzip stream's native memory now, not at some later GC.
    this.stop(undefined);
    this.o.release(complete);
  }

  /** The watchdog, the deadline and shutdown destroy the stream: a gunzip stream left by a reset never ends otherwise. */
  private stop(reason: unknown): void {
    if (!this.body.destroyed) this.body.destroy(reason as Error | undefined);
  }
}

/** Every message in a service error: its own, its details' and their inner errors', outermost first. */
function serviceMessages(error: unknown, out: string[] = []): string[] {
  if (typeof error !== "object" || error === null) return out;
  const e = error as { message?: unknown; details?: unknown; innererror?: unknown };
  if (typeof e.message === "string" && e.message !== "") out.push(e.message);
  if (Array.isArray(e.details)) for (const d of e.details) serviceMessages(d, out);
  serviceMessages(e.innererror, out);
  return out;
}

function describeServiceError(error: NonNullable<ParsedTail["error"]>): string {
  return [error.code, ...serviceMessages(error)].filter(Boolean).join(" — ");
}

/**
 * Whether a 200's PartialError is a result limit (rows or size: E_QUERY_RESULT_SET_TOO_LARGE,
 * 0x80DA0003, recorded), which splitting the window cures. Any other engine error is not.
 */
export function isResultLimit(error: NonNullable<ParsedTail["error"]>): boolean {
  const text = JSON.stringify(error);
  return /E_QUERY_RESULT_SET_TOO_LARGE|0x80DA0003|-2133196797/i.test(text);
}

function queryFailed(error: NonNullable<ParsedTail["error"]>): SourceError {
  return new SourceError("SOURCE_QUERY_FAILED", `The service failed the query part-way: ${describeServiceError(error)}.`, {
    retryable: true,
    ...(error.code ? { serviceCode: error.code } : {}),
    hint: "Not a result limit, so the window is retried as it is, not split; if it keeps failing, the query fails with this message and the watermark stays.",
  });
}

/**
 * What a `permissions` section (logs/api/azure-resource-queries.md, "Partial access") says was
 * withheld: tables denied for a resource or in a workspace, and workspaces holding the resource's
 * logs that the identity may not read (listed under the resource, absent from `dataSources`).
 */
export function deniedAccess(permissions: unknown): string[] {
  if (typeof permissions !== "object" || permissions === null) return [];
  const p = permissions as { resources?: unknown; dataSources?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : []);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const out: string[] = [];
  const readable = Array.isArray(p.dataSources) ? new Set(list(p.dataSources).map((d) => String(d["resourceId"]).toLowerCase())) : undefined;
  for (const r of list(p.resources)) {
    const tables = strings(r["denyTables"]);
    if (tables.length > 0) out.push(`tables ${tables.join(", ")} of ${String(r["resourceId"])}`);
    if (readable) for (const ds of strings(r["dataSources"])) if (!readable.has(ds.toLowerCase())) out.push(`the workspace ${ds}`);
  }
  for (const d of list(p.dataSources)) {
    const tables = strings(d["denyTables"]);
    if (tables.length > 0) out.push(`tables ${tables.join(", ")} in ${String(d["resourceId"])}`);
  }
  return out;
}

function permissionsError(withheld: string[]): SourceError {
  return new SourceError(
    "SOURCE_PERMISSIONS",
    `The service left out rows this identity may not read (resource-centric query): ${withheld.join("; ")}.`,
    {
      retryable: false,
      hint: "Grant the identity the Log Analytics Reader role on the workspace(s) holding the resource's logs (or read access to those tables), or query by source.workspaceId. Nothing of this window was exported; the watermark has not moved.",
    },
  );
}

/** The result of a 204 No Content: no columns, no rows, complete. */
export function emptyQueryResult(): QueryResult {
  const batches: AsyncIterable<RowBatch> = {
    [Symbol.asyncIterator]: () => ({ next: async () => DONE, return: async () => DONE }),
  };
  return { columns: [], batches, outcome: Promise.resolve({ kind: "ok", rows: 0, bytes: 0 }), cancel: () => undefined };
}

/** Reads a result to its end; resolves with the ok outcome, or rejects with its error (SOURCE_TRUNCATED when truncated). */
export async function drain(result: QueryResult, onBatch?: (batch: RowBatch) => void): Promise<Extract<QueryOutcome, { kind: "ok" }>> {
  for await (const batch of result.batches) onBatch?.(batch);
  const outcome = await result.outcome;
  if (outcome.kind === "ok") return outcome;
  if (outcome.kind === "truncated") throw new SourceError("SOURCE_TRUNCATED", `Result truncated: ${outcome.reason}.`);
  throw outcome.error;
}

