/**
 * Backfill progress: a bar with rows and ETA on a TTY (cli-progress), plain progress lines
 * in the log otherwise. Progress is measured in time covered, since split windows make
 * window counts grow while the job runs.
 *
 * The bar is drawn only when stderr is a terminal and the logs there are readable lines: with
 * `--log-format json` (or stderr not a TTY) there is no bar, the progress is logged instead. While the
 * bar is drawn, every log line is printed above it (the readable log's stream, `logLines`, is diverted
 * to the bar, which clears its line, prints the log and redraws itself), so nothing scrolls it away or
 * lands in the middle of it; the caller logs each committed window at debug (the bar shows them).
 */
import cliProgress from "cli-progress";
import type { Logger, LogLines } from "./logger.ts";

export interface Progress {
  /** True when a bar is drawn (per-window log lines belong at debug then). */
  readonly bar: boolean;
  advance(coveredMs: number, rows: number): void;
  stop(): void;
}

export function createProgress(options: {
  totalMs: number;
  label: string;
  logger: Logger;
  /** Draw a bar: stderr is a TTY and its log lines are readable (not JSON). */
  tty: boolean;
  stream?: NodeJS.WriteStream;
  /** The readable log's stream, printed above the bar while it is drawn. */
  logLines?: LogLines;
}): Progress {
  let covered = 0;
  let rows = 0;
  if (options.tty) {
    const bars = new cliProgress.MultiBar(
      {
        format: `${options.label} [{bar}] {percentage}% | {rows} rows | ETA {eta_formatted}`,
        stream: options.stream ?? process.stderr,
        hideCursor: true,
        // redraw every frame, not only when the bar changed: a log line printed above it clears its line
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = bars.create(options.totalMs, 0, { rows: 0 });
    options.logLines?.divert((text) => bars.log(text));
    let stopped = false;
    return {
      bar: true,
      advance(ms, r) {
        covered += ms;
        rows += r;
        bar.update(Math.min(covered, options.totalMs), { rows });
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bars.update(); // print the log lines still waiting above the bar, then its final state
        bars.stop();
        options.logLines?.divert(undefined);
      },
    };
  }
  const startedAt = Date.now();
  let lastLog = 0;
  return {
    bar: false,
    advance(ms, r) {
      covered += ms;
      rows += r;
      const now = Date.now();
      if (now - lastLog < 5_000 && covered < options.totalMs) return;
      lastLog = now;
      const fraction = Math.min(1, covered / options.totalMs);
      const etaSeconds = fraction > 0 ? Math.round(((now - startedAt) / fraction - (now - startedAt)) / 1000) : undefined;
      options.logger.info({ percent: Math.round(fraction * 1000) / 10, rows, etaSeconds }, `${options.label} progress`);
    },
    stop() {},
  };
}
