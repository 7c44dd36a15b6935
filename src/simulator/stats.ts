/** Counters of what the simulator served, for /_control/stats and tests. */

export interface SimulatorStats {
  /** HTTP requests to the query API (/v1), by final status code ("reset" for cut connections). */
  requests: Record<string, number>;
  /** Individual queries executed (a $batch counts each of its queries). */
  queries: number;
  rowsServed: number;
  /** Uncompressed body bytes of query responses. */
  bytesServed: number;
  /** Results cut at a row/size limit or by a partial fault. */
  truncatedResults: number;
  faultsInjected: Record<string, number>;
  /** Rows stored per table so far (visible or not). */
  tableRows: Record<string, number>;
}

export class StatsRecorder {
  private readonly requests: Record<string, number> = {};
  private queries = 0;
  private rows = 0;
  private bytes = 0;
  private truncated = 0;

  request(status: number | "reset"): void {
    const key = String(status);
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }

  query(): void {
    this.queries++;
  }

  served(rows: number, bytes: number, truncated: boolean): void {
    this.rows += rows;
    this.bytes += bytes;
    if (truncated) this.truncated++;
  }

  snapshot(faultsInjected: Record<string, number>, tableRows: Record<string, number>): SimulatorStats {
    return {
      requests: { ...this.requests },
      queries: this.queries,
      rowsServed: this.rows,
      bytesServed: this.bytes,
      truncatedResults: this.truncated,
      faultsInjected,
      tableRows,
    };
  }
}
