/**
 * The door to the Log Analytics query API. It uses the real `@azure/monitor-query-logs`
 * client's pipeline (auth, user agent, redirects, logging) but sends the request itself and
 * reads the raw body as a stream, because the client's convenience results lose sub-millisecond
 * datetimes and longs beyond 2^53 and would hold a whole 64 MB result in memory.
 *
 * The pipeline's retry policies are removed: one call of `query()` is one HTTP request, and the
 * runner's one retry loop (src/runner/window-delivery.ts) decides whether and when to try again,
 * each attempt through the request gate. Every request carries its own deadline; the body is
 * pulled by the caller (src/source/query-result.ts) with an idle watchdog on each network read.
 *
 * What every request says, and why (README, "Against the real service"):
 *  - `Cache-Control: no-cache`: the service answers an identical query from a 2-minute cache
 *    (logs/api/cache.md); a retry, or a re-run after a crash, must see rows that arrived since.
 *  - `Prefer: wait=N`, plus `include-permissions=true` for a resource: in one header, comma-separated
 *    (RFC 7240, as the SDK joins its preferences); resource-centric queries drop rows the identity may
 *    not read silently, and only this section tells (logs/api/azure-resource-queries.md).
 *  - The resource URL is `{endpoint}/subscriptions/…/query`, one slash (the documented and recorded form).
 * A 204 No Content (a workspace with no data) is an empty result with no columns.
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
import { AbortedError, ConfigError, MonitorliftError, SourceError, messageOf } from "../errors.ts";
import type { SourceAuth } from "../config/types.ts";
import { createCredential, describeIdentity, noCredential } from "./credential.ts";
import { isLoopbackHost } from "../config/loopback.ts";
import { checkEndpoint } from "./endpoint.ts";
import { emptyQueryResult, readQueryResult, type QueryResult } from "./query-result.ts";
import { cut } from "./result-parser.ts";
import { type QueryScope, serviceErrorFromBody } from "./service-error.ts";

export { drain, type QueryOutcome, type QueryResult } from "./query-result.ts";

/**
 * About this many response bytes are parsed at once, their rows handed out as one batch.
 * 64 KiB (~75 AppRequests rows): a batch is written before V8's next young-generation collection, so its
 * bytes and encoded output die young instead of being promoted; 1 Mi batches kept ~100 MB of promoted
 * garbage in the old generation with 4 windows in flight (README, Benchmarks: memory).
 */
export const BATCH_BYTES = 1 << 16;

/**
 * Whether a pipeline policy retries on its own (core-rest-pipeline's defaultRetryPolicy, and the
 * exponential, throttling and systemError retry policies): all are removed, so that the runner's
 * loop is the only one.
 */
export function isRetryPolicy(name: string): boolean {
  return /RetryPolicy$/.test(name);
}

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
  /** Deadline of one query request, its body included. */
  requestTimeoutMs: number;
  /** Give up on a body when one read from the network waits this long. */
  idleTimeoutMs: number;
  /** A result at or over these is treated as truncated even without a PartialError (per request when given there). */
  maxRows: number;
  maxBytes: number;
  /** Body bytes per row batch (default BATCH_BYTES). */
  batchBytes?: number;
  /** Where this source is in the config file, for messages: "source" (default) or "sources.<name>". */
  configKey?: string;
}

export interface QueryRequest {
  query: string;
  /** ISO 8601 interval sent as `timespan`. */
  timespan?: string;
  /** This query's result limits (window.maxRows / window.maxBytes); default: the source's. */
  maxRows?: number;
  maxBytes?: number;
  /**
   * Extra request headers (the window span's W3C `traceparent` / `tracestate`); they never replace
   * the headers the source sets itself.
   */
  headers?: Readonly<Record<string, string>>;
}

/** What the runner needs of a source: one request per call, rows pulled by the caller. */
export interface QuerySource {
  query(req: QueryRequest, signal: AbortSignal): Promise<QueryResult>;
}

export class LogsSource implements QuerySource {
  private readonly client: LogsQueryClient;
  private readonly httpClient: HttpClient;
  private readonly url: string;
  private readonly insecure: boolean;
  private readonly options: LogsSourceOptions;
  private readonly scope: QueryScope;
  /** Who asks, for messages: the auth method and its IDs (never a secret). */
  private readonly identity: string;

  constructor(options: LogsSourceOptions) {
    const endpoint = checkEndpoint(options.endpoint, options.auth.method);
    if (!options.workspaceId === !options.resourceId) {
      throw new ConfigError("source: set exactly one of workspaceId and resourceId.", ["source: set exactly one of workspaceId and resourceId"]);
    }
    this.options = options;
    const created = createCredential(options.auth, options.env, options.configKey);
    const credential = created?.credential;
    this.identity = created?.identity ?? describeIdentity(options.auth, options.env, options.configKey);
    this.client = new LogsQueryClient(credential ?? noCredential, {
      endpoint: endpoint.href.replace(/\/$/, ""),
      ...(options.audience ? { credentials: { scopes: [`${options.audience.replace(/\/$/, "")}/.default`] } } : {}),
    });
    for (const { name } of this.client.pipeline.getOrderedPolicies()) if (isRetryPolicy(name)) this.client.pipeline.removePolicy({ name });
    if (!credential) this.client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    this.httpClient = createDefaultHttpClient();
    const base = endpoint.href.replace(/\/$/, "");
    this.scope = options.workspaceId ? { kind: "workspace", id: options.workspaceId } : { kind: "resource", id: `/${options.resourceId!.replace(/^\/+/, "")}` };
    this.url = options.workspaceId
      ? `${base}/workspaces/${encodeURIComponent(options.workspaceId)}/query`
      : `${base}/${options.resourceId!.replace(/^\/+/, "").replace(/\/+$/, "")}/query`;
    this.insecure = endpoint.protocol === "http:" && isLoopbackHost(endpoint.hostname);
  }

  /** The names of the pipeline's policies, in order (for tests and debugging). */
  get policies(): string[] {
    return this.client.pipeline.getOrderedPolicies().map((p) => p.name);
  }

  /** Where queries go, for logs (no secrets in it). */
  get target(): string {
    return this.url;
  }

  /**
   * Sends one query request (exactly one HTTP request: no retries here) and reads its body up to
   * the result's columns. Rejects with a typed error when there are no columns to be had: a
   * non-200 answer, a connection failure, the deadline, a cut or unreadable head, or AbortedError
   * when `signal` aborted. Past that point, errors and truncation are told by the result's outcome.
   */
  async query(req: QueryRequest, signal: AbortSignal): Promise<QueryResult> {
    const deadline = new AbortController();
    const release = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new SourceError("SOURCE_TIMEOUT", `the query did not finish within ${this.options.requestTimeoutMs} ms`, { retryable: true })),
      this.options.requestTimeoutMs,
    );
    const combined = AbortSignal.any([signal, deadline.signal, release.signal]);
    const done = (complete: boolean) => {
      clearTimeout(timer);
      if (!complete) release.abort(new AbortedError("the query result was not read to its end"));
    };
    let response: PipelineResponse;
    try {
      response = await this.send(req, combined);
      if (response.status === 204) {
        // logs/api/errors.md: "If a workspace has no data in it, we return 204 No Content."
        done(true);
        return emptyQueryResult();
      }
      if (response.status !== 200) {
        throw serviceErrorFromBody(response.status, response.bodyAsText ?? "", response.headers.get("retry-after"), this.scope, this.identity);
      }
      if (!response.readableStreamBody) throw cut("the query response has no body");
    } catch (err) {
      done(true);
      throw this.classifyRequest(err, signal, deadline.signal);
    }
    return readQueryResult({
      body: response.readableStreamBody,
      limits: { maxRows: req.maxRows ?? this.options.maxRows, maxBytes: req.maxBytes ?? this.options.maxBytes },
      idleTimeoutMs: this.options.idleTimeoutMs,
      batchBytes: this.options.batchBytes ?? BATCH_BYTES,
      signal: combined,
      classify: (err) => this.classifyBody(err, signal, deadline.signal),
      release: done,
    });
  }

  private async send(req: QueryRequest, signal: AbortSignal): Promise<PipelineResponse> {
    const waitSeconds = Math.max(1, Math.min(600, Math.round(this.options.serverTimeoutMs / 1000)));
    const request = createPipelineRequest({
      url: this.url,
      method: "POST",
      headers: createHttpHeaders({
        ...req.headers,
        "Content-Type": "application/json",
        Accept: "application/json",
        "Cache-Control": "no-cache",
        Prefer: this.scope.kind === "resource" ? `wait=${waitSeconds},include-permissions=true` : `wait=${waitSeconds}`,
      }),
      body: JSON.stringify(req.timespan ? { query: req.query, timespan: req.timespan } : { query: req.query }),
      abortSignal: signal,
      streamResponseStatusCodes: new Set([200]),
      allowInsecureConnection: this.insecure,
    });
    return this.client.pipeline.sendRequest(this.httpClient, request);
  }

  /** An error before the response body: HTTP status, connection, deadline or shutdown. */
  private classifyRequest(err: unknown, runSignal: AbortSignal, deadline: AbortSignal): MonitorliftError {
    if (runSignal.aborted) return err instanceof AbortedError ? err : new AbortedError("the query was stopped by shutdown", { cause: err });
    if (err instanceof MonitorliftError) return err;
    if (deadline.aborted) return deadline.reason as MonitorliftError;
    const code = (err as { code?: string }).code;
    const name = (err as { name?: string }).name;
    if (name === "AbortError") {
      return new SourceError("SOURCE_TIMEOUT", `the query was cut off: ${messageOf(err)}`, { cause: err, retryable: true });
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

  /**
   * An error while reading the body: our own typed errors (the watchdog, a cut or unreadable
   * document) pass through; a stream error (reset, aborted) is a cut body: a retryable
   * SOURCE_CONNECTION.
   */
  private classifyBody(err: unknown, runSignal: AbortSignal, deadline: AbortSignal): MonitorliftError {
    if (runSignal.aborted) return err instanceof AbortedError ? err : new AbortedError("the query was stopped by shutdown", { cause: err });
    if (err instanceof MonitorliftError) return err;
    if (deadline.aborted) return deadline.reason as MonitorliftError;
    const code = (err as { code?: string }).code;
    return new SourceError("SOURCE_CONNECTION", `The query response was cut off${code ? ` (${code})` : ""}: ${messageOf(err)}.`, {
      cause: err,
      retryable: true,
      hint: "The connection broke part-way; the window is retried and the watermark has not moved.",
    });
  }
}
