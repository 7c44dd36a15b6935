/** Human-readable lines for run results (stdout), separate from the structured logs (stderr). */
import { formatSpan } from "../runner/export-query.ts";
import type { RunReport } from "../runner/run.ts";
import { describeError } from "./exit.ts";

/** `querySources`: each query's source when the config names its sources, shown as "name (source s)". */
export function formatRunReport(report: RunReport, verbose: boolean, querySources?: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const [query, q] of Object.entries(report.summary.queries)) {
    const name = querySources?.[query] === undefined ? query : `${query} (source ${querySources[query]})`;
    const wm = q.watermark !== undefined ? ` watermark ${new Date(q.watermark).toISOString()}` : "";
    if (q.outcome === "skipped") {
      lines.push(`skipped ${name} (held by ${q.heldBy ?? "another run"})`);
      continue;
    }
    const behind = report.behind?.get(query);
    const late = behind
      ? ` — still ${behind.windows} window${behind.windows === 1 ? "" : "s"} (${formatSpan(behind.ms)}) behind: stopped at window.maxWindowsPerRun (${behind.maxWindowsPerRun}); run again or use --catch-up`
      : "";
    lines.push(`${q.outcome === "ok" ? "ok    " : "FAILED"} ${name}: ${q.rows} rows in ${q.windows} windows${wm}${late}`);
    const err = report.errors.get(query);
    if (err !== undefined) lines.push(describeError(err, verbose).replace(/^/gm, "       "));
  }
  return lines.join("\n");
}
