/**
 * Runs `run` on a cron schedule (node-cron) in the foreground, never overlapping itself:
 * a tick that fires while a run is still going is skipped. Stops when `signal` aborts,
 * after the current run has finished (its current window commits or stays uncommitted).
 */
import cron from "node-cron";
import type { Logger } from "../telemetry/logger.ts";

export interface ScheduleOptions {
  expression: string;
  logger: Logger;
  signal: AbortSignal;
  /** Run once right away before waiting for the first tick (default true). */
  runAtStart?: boolean;
  timezone?: string;
}

export async function runOnSchedule(options: ScheduleOptions, run: () => Promise<void>): Promise<void> {
  let running: Promise<void> | undefined;
  const tick = (reason: string) => {
    if (options.signal.aborted) return;
    if (running) {
      options.logger.warn({ reason }, "the previous run is still going; skipping this tick");
      return;
    }
    running = run()
      .catch((err: unknown) => options.logger.error({ err: (err as Error).message }, "run failed"))
      .finally(() => {
        running = undefined;
      });
  };
  const task = cron.schedule(options.expression, () => tick("schedule"), { timezone: options.timezone ?? "UTC", noOverlap: false });
  try {
    if (options.runAtStart ?? true) tick("start");
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) return resolve();
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    await task.stop();
    await running;
  }
}
