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
  /**
   * Called when the schedule is armed and at every tick (a run started or skipped), with when it
   * fires next (epoch ms; undefined if never): the heartbeat /healthz checks.
   */
  onTick?: (nextAt: number | undefined) => void;
}

export async function runOnSchedule(options: ScheduleOptions, run: () => Promise<void>): Promise<void> {
  let running: Promise<void> | undefined;
  const tick = (reason: string) => {
    if (options.signal.aborted) return;
    heartbeat();
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
  // The first future fire: getNextRun() called during a fire may still name the current second.
  const heartbeat = () => options.onTick?.(task.getNextRuns(2).map((d) => d.getTime()).find((t) => t > Date.now()));
  try {
    heartbeat();
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
