/**
 * Backfill progress: a bar with rows and ETA on a TTY (cli-progress), plain progress lines
 * in the log otherwise. Progress is measured in time covered, since split windows make
 * window counts grow while the job runs.
 */
import cliProgress from "cli-progress";
import type { Logger } from "./logger.ts";

export interface Progress {
  advance(coveredMs: number, rows: number): void;
  stop(): void;
}

export function createProgress(options: { totalMs: number; label: string; logger: Logger; tty: boolean; stream?: NodeJS.WriteStream }): Progress {
  let covered = 0;
  let rows = 0;
  if (options.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${options.label} [{bar}] {percentage}% | {rows} rows | ETA {eta_formatted}`,
        stream: options.stream ?? process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.totalMs, 0, { rows: 0 });
    return {
      advance(ms, r) {
        covered += ms;
        rows += r;
        bar.update(Math.min(covered, options.totalMs), { rows });
      },
      stop: () => bar.stop(),
    };
  }
  const startedAt = Date.now();
  let lastLog = 0;
  return {
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
