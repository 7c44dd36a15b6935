/**
 * What a query reads through: its source's client, its retry settings and the request gate of that source's identity
 * (sources sharing an identity share one gate, src/source/identity.ts). The CLI builds one per
 * configured source; the runner looks a query's up by its `source`.
 */
import { MonitorliftError } from "../errors.ts";
import type { QuerySource } from "../source/logs-source.ts";
import type { QueryJob } from "./query-job.ts";
import type { RequestGate } from "./request-gate.ts";
import type { RetrySettings } from "./window-delivery.ts";

export interface SourceConnection {
  source: QuerySource;
  gate: RequestGate;
  /** The source's retry knobs (its `maxRetries`, `retryDelay`, …). */
  retry: RetrySettings;
}

/** The connection of `job`'s source; a job naming no connected source is a bug (the config rules make every query name one). */
export function connectionOf(sources: ReadonlyMap<string, SourceConnection>, job: Pick<QueryJob, "name" | "source">): SourceConnection {
  const c = sources.get(job.source);
  if (c === undefined) throw new MonitorliftError("INTERNAL", `Query '${job.name}' reads source '${job.source}', which has no connection (known: ${[...sources.keys()].join(", ")}).`);
  return c;
}
