/**
 * The door to the Log Analytics query API. It uses the real `@azure/monitor-query-logs`
 * client's pipeline (auth, retry policies for 429/5xx/connection errors with Retry-After,
 * user agent, logging) but sends the request itself and reads the raw body as a stream,
 * because the client's convenience results lose sub-millisecond datetimes and longs
 * beyond 2^53 and would hold a whole 64 MB result in memory.
 *
 * Every request carries its own deadline and an idle watchdog: with the SDK's node HTTP
 * client a connection reset part-way through a gzip body never settles (the gunzip stream
 * is left waiting), and a plain-body reset is not retried by the pipeline either. Both end
 * here as retryable SourceErrors that the runner retries at the window level.
 */
import { LogsQueryClient } from "@azure/monitor-query-logs";
import {
  bearerTokenAuthenticationPolicyName,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { AbortedError, MonitorliftError, SourceError, messageOf } from "../errors.ts";
import type { Column, RawRow } from "../table.ts";
import type { SourceAuth } from "../config/types.ts";
import { createCredential, noCredential } from "./credential.ts";
import { isLoopbackHost } from "../config/loopback.ts";
import { checkEndpoint } from "./endpoint.ts";
import { ResultParser } from "./result-parser.ts";
import { serviceErrorFromBody } from "./service-error.ts";

/** About this much response text (UTF-16 code units) is parsed before its rows go to the sink in one batch. */
export const BATCH_CHARS = 1 << 20;

export interface LogsSourceOptions {
  /** e.g. https://api.loganalytics.azure.com/v1 */
  endpoint: string;
  workspaceId?: string;
  resourceId?: string;
  auth: SourceAuth;
  /** Token audience for sovereign clouds, e.g. https://api.loganalytics.us (default: public cloud). */
  audience?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Sent as `Prefer: wait=N` (the service gives up after this; max 600 s). */
  serverTimeoutMs: number;
  /** Deadline of one query request, pipeline retries and body included. */
  requestTimeoutMs: number;
  /** Give up on a body that sends nothing for this long. */
  idleTimeoutMs: number;
  /** Pipeline retry options (429/503 with Retry-After, 5xx, connection errors before the body). */
  maxRetries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** A result at or over these is treated as truncated even without a PartialError (per request when given there). */
  maxRows: number;
  maxBytes: number;
}

export interface QueryRequest {
  query: string;
  /** ISO 8601 interval sent as `timespan`. */
  timespan?: string;
  /** This query's result limits (window.maxRows / window.maxBytes); default: the source's. */
  maxRows?: number;
  maxBytes?: number;
}

export interface QueryHandlers {
  /** Called once, before any rows. */
  onColumns(columns: Column[]): Promise<void>;
  onRows(rows: RawRow[]): Promise<void>;
}

export interface QueryOutcome {
  columns: Column[];
  rows: number;
  /** Decompressed body bytes. */
  bytes: number;
  statistics?: unknown;
}

export class LogsSource {
  private readonly client: LogsQueryClient;
  private readonly httpClient: HttpClient;
  private readonly url: string;
  private readonly insecure: boolean;
  private readonly options: LogsSourceOptions;

  constructor(options: LogsSourceOptions) {
    const endpoint = checkEndpoint(options.endpoint, options.auth.method);
    if (!options.workspaceId === !options.resourceId) {
      throw new SourceError("SOURCE_NOT_FOUND", "source: set exactly one of workspaceId and resourceId.");
    }
    this.options = options;
    const credential = createCredential(options.auth, options.env);
    this.client = new LogsQueryClient(credential ?? noCredential, {
      endpoint: endpoint.href.replace(/\/$/, ""),
      ...(options.audience ? { credentials: { scopes: [`${options.audience.replace(/\/$/, "")}/.default`] } } : {}),
      retryOptions: {
        maxRetries: options.maxRetries,
        retryDelayInMs: options.retryDelayMs,
        maxRetryDelayInMs: options.maxRetryDelayMs,
      },
    });
    if (!credential) this.client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    this.httpClient = createDefaultHttpClient();
    const base = endpoint.href.replace(/\/$/, "");
    this.url = options.workspaceId
      ? `${base}/workspaces/${encodeURIComponent(options.workspaceId)}/query`
      : `${base}/${options.resourceId!.startsWith("/") ? options.resourceId : `/${options.resourceId}`}/query`;
    this.insecure = endpoint.protocol === "http:" && isLoopbackHost(endpoint.hostname);
  }

  /** Where queries go, for logs (no secrets in it). */
  get target(): string {
    return this.url;
  }

  /**
   * Runs one query, handing out rows as the body streams in. Throws SourceError
   * (SOURCE_TRUNCATED when the service cut the result or a limit was reached: the caller
   * must discard what it got and split), or AbortedError when `signal` aborted.
   */
  async run(req: QueryRequest, handlers: QueryHandlers, signal: AbortSignal): Promise<QueryOutcome> {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new SourceError("SOURCE_TIMEOUT", `the query did not finish within ${this.options.requestTimeoutMs} ms`, { retryable: true })),
      this.options.requestTimeoutMs,
    );
    const combined = AbortSignal.any([signal, deadline.signal]);
    try {
      const response = await this.send(req, combined);
      if (response.status !== 200) {
        throw serviceErrorFromBody(response.status, response.bodyAsText ?? "", response.headers.get("retry-after"));
      }
      return await this.readBody(response, handlers, combined, {
        maxRows: req.maxRows ?? this.options.maxRows,
        maxBytes: req.maxBytes ?? this.options.maxBytes,
      });
    } catch (err) {
      throw this.classify(err, signal, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(req: QueryRequest, signal: AbortSignal): Promise<PipelineResponse> {
    const waitSeconds = Math.max(1, Math.min(600, Math.round(this.options.serverTimeoutMs / 1000)));
    const request = createPipelineRequest({
      url: this.url,
      method: "POST",
      headers: createHttpHeaders({
        "Content-Type": "application/json",
        Accept: "application/json",
        Prefer: `wait=${waitSeconds}`,
      }),
      body: JSON.stringify(req.timespan ? { query: req.query, timespan: req.timespan } : { query: req.query }),
      abortSignal: signal,
      streamResponseStatusCodes: new Set([200]),
      allowInsecureConnection: this.insecure,
    });
    return this.client.pipeline.sendRequest(this.httpClient, request);
  }

  private async readBody(
    response: PipelineResponse,
    handlers: QueryHandlers,
    signal: AbortSignal,
    limits: { maxRows: number; maxBytes: number },
  ): Promise<QueryOutcome> {
    const body = response.readableStreamBody;
    if (!body) throw new SourceError("SOURCE_PROTOCOL", "the query response has no body", { retryable: true });
    const parser = new ResultParser();
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let bytes = 0;
    let columnsSent = false;
    // The watchdog and the deadline destroy the stream: a gunzip stream left by a reset never ends otherwise.
    let idle: NodeJS.Timeout | undefined;
    const stop = (reason: unknown) => (body as NodeJS.ReadableStream & { destroy(e?: Error): void }).destroy(reason as Error);
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () => stop(new SourceError("SOURCE_TIMEOUT", `the response body stalled for ${this.options.idleTimeoutMs} ms`, { retryable: true })),
        this.options.idleTimeoutMs,
      );
    };
    const onAbort = () => stop(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      armIdle();
      // Rows are handed to the sink in batches of about BATCH_CHARS of body text: few, large writes,
      // with memory bounded by the batch, not the result.
      let pending: RawRow[] = [];
      let pendingChars = 0;
      const flush = async () => {
        const rows = pending;
        pending = [];
        pendingChars = 0;
        clearTimeout(idle); // the sink's time is not the service's silence
        await handlers.onRows(rows);
        armIdle();
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        armIdle();
        bytes += chunk.length;
        const text = decoder.decode(chunk, { stream: true });
        const rows = parser.push(text);
        if (!columnsSent && parser.columns) {
          columnsSent = true;
          await handlers.onColumns(parser.columns);
        }
        if (rows.length > 0) {
          for (const row of rows) pending.push(row);
          pendingChars += text.length;
          if (pendingChars >= BATCH_CHARS) await flush();
        }
        if (bytes > limits.maxBytes) throw truncated(`the response exceeded ${limits.maxBytes} bytes`);
      }
      if (signal.aborted) throw signal.reason;
      for (const row of parser.push(decoder.decode())) pending.push(row);
      const tail = parser.end();
      if (!columnsSent) {
        if (!parser.columns) throw new SourceError("SOURCE_PROTOCOL", "the query response has no result table", { retryable: false });
        await handlers.onColumns(parser.columns);
      }
      if (pending.length > 0) await flush();
      if (tail.error) {
        const detail = describeServiceError(tail.error);
        throw truncated(`the service returned a partial result: ${detail}`);
      }
      if (parser.rows >= limits.maxRows) throw truncated(`the result reached the ${limits.maxRows}-row limit`);
      if (bytes >= limits.maxBytes) throw truncated(`the result reached the ${limits.maxBytes}-byte limit`);
      return { columns: parser.columns!, rows: parser.rows, bytes, statistics: tail.statistics };
    } finally {
      clearTimeout(idle);
      signal.removeEventListener("abort", onAbort);
      if (!(body as { destroyed?: boolean }).destroyed) stop(undefined);
    }
  }

  private classify(err: unknown, runSignal: AbortSignal, deadline: AbortSignal): unknown {
    if (runSignal.aborted) return err instanceof AbortedError ? err : new AbortedError("the query was stopped by shutdown", { cause: err });
    // Errors of our own (a sink's write failing inside onRows, a protocol error) pass through as they are.
    if (err instanceof MonitorliftError) return err;
    if (deadline.aborted) return deadline.reason;
    const code = (err as { code?: string }).code;
    const name = (err as { name?: string }).name;
    if (name === "AbortError") {
      return new SourceError("SOURCE_TIMEOUT", `the query was cut off: ${messageOf(err)}`, { cause: err, retryable: true });
    }
    if (err instanceof TypeError && (err as { code?: string }).code === "ERR_ENCODING_INVALID_ENCODED_DATA") {
      return new SourceError("SOURCE_PROTOCOL", "the response body is not valid UTF-8", { cause: err, retryable: true });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (typeof status === "number") {
      return new SourceError("SOURCE_UNAVAILABLE", `the query failed with HTTP ${status}: ${messageOf(err)}`, { cause: err, status, retryable: status >= 500 || status === 429 });
    }
    return new SourceError(
      "SOURCE_CONNECTION",
      `could not talk to ${new URL(this.url).origin}${code ? ` (${code})` : ""}: ${messageOf(err)}`,
      { cause: err, retryable: true, hint: "Check source.endpoint and the network; the window is retried and the watermark has not moved." },
    );
  }
}

function truncated(detail: string): SourceError {
  return new SourceError("SOURCE_TRUNCATED", `Result truncated: ${detail}.`, { retryable: false });
}

function describeServiceError(error: { code?: string; message?: string; details?: unknown[] }): string {
  const details = (error.details ?? [])
    .map((d) => (d as { message?: string }).message)
    .filter((m): m is string => typeof m === "string");
  return [error.code, error.message, ...details].filter(Boolean).join(" — ");
}
