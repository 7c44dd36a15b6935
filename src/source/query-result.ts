/**
 * The pull side of one query response: a streamed 200 body read on demand, as row batches.
 *
 * The runner asks for the next batch when it is ready for one, so the socket is read only as
 * fast as the sink writes (backpressure), and the idle watchdog runs only while a read from the
 * network is pending: the consumer's own time between reads never counts as the service's
 * silence. The batches never throw; how the body ended is told once, by `outcome`, which never
 * rejects either (so nothing can become an unhandled rejection):
 *   ok         the body was read to its end and the result is complete;
 *   truncated  the service cut the result (PartialError) or a limit was reached: discard the rows;
 *   error      a typed error: a cut body (a reset: SOURCE_CONNECTION; a body that ended mid-document:
 *              SOURCE_PROTOCOL with retryable true), an unreadable one (SOURCE_PROTOCOL, permanent), the
 *              watchdog or deadline (SOURCE_TIMEOUT), shutdown (ABORTED), or the consumer stopped
 *              reading before the end (ABORTED).
 * Stopping early, through `return()` (a `break` or a throw inside `for await`) or `cancel()`,
 * destroys the body and releases the connection.
 */
import { AbortedError, MonitorliftError, SourceError } from "../errors.ts";
import type { Column, RawRow } from "../table.ts";
import { ResultParser, cut, unreadable } from "./result-parser.ts";

export type QueryOutcome =
  | { kind: "ok"; rows: number; /** Decompressed body bytes. */ bytes: number; statistics?: unknown }
  | { kind: "truncated"; reason: string; rows: number; bytes: number }
  | { kind: "error"; error: MonitorliftError };

export interface QueryResult {
  /** The first table's columns, as the service sent them; every row has exactly this many cells. */
  readonly columns: Column[];
  /** Row batches in body order; single use. */
  readonly batches: AsyncIterable<RawRow[]>;
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
  /** About this much body text (UTF-16 code units) is parsed before its rows are handed out as one batch. */
  batchChars: number;
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
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private bytes = 0;
  private pending: RawRow[] = [];
  private pendingChars = 0;
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
    const iterator: AsyncIterableIterator<RawRow[]> = {
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

  private async next(): Promise<IteratorResult<RawRow[]>> {
    if (this.closed) return DONE;
    try {
      for (;;) {
        const complete = this.ending !== undefined;
        if (this.pending.length > 0 && (this.pendingChars >= this.o.batchChars || this.ending?.kind === "ok")) {
          const rows = this.pending;
          this.pending = [];
          this.pendingChars = 0;
          return { done: false, value: rows };
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

  private feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch (cause) {
      throw unreadable("the response body is not valid UTF-8", cause);
    }
    const rows = this.parser.push(text);
    if (rows.length > 0) {
      for (const row of rows) this.pending.push(row);
      this.pendingChars += text.length;
    }
  }

  /** The body ended: parse what is left and decide the outcome. */
  private finish(): void {
    let text: string;
    try {
      text = this.decoder.decode();
    } catch (cause) {
      // Only an incomplete character can be left at the end: the body stopped mid-character.
      throw cut("the response body ended part-way through a character", cause);
    }
    for (const row of this.parser.push(text)) this.pending.push(row);
    const tail = this.parser.end();
    const { maxRows, maxBytes } = this.o.limits;
    const rows = this.parser.rows;
    const bytes = this.bytes;
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
    this.pending = [];
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

function describeServiceError(error: { code?: string; message?: string; details?: unknown[] }): string {
  const details = (error.details ?? [])
    .map((d) => (d as { message?: string }).message)
    .filter((m): m is string => typeof m === "string");
  return [error.code, error.message, ...details].filter(Boolean).join(" — ");
}

/** Reads a result to its end; resolves with the ok outcome, or rejects with its error (SOURCE_TRUNCATED when truncated). */
export async function drain(result: QueryResult, onRows?: (rows: RawRow[]) => void): Promise<Extract<QueryOutcome, { kind: "ok" }>> {
  for await (const rows of result.batches) onRows?.(rows);
  const outcome = await result.outcome;
  if (outcome.kind === "ok") return outcome;
  if (outcome.kind === "truncated") throw new SourceError("SOURCE_TRUNCATED", `Result truncated: ${outcome.reason}.`);
  throw outcome.error;
}
