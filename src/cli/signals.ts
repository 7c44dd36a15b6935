/**
 * SIGINT/SIGTERM → a graceful stop: the AbortSignal tells the runner to stop starting work;
 * the window being committed finishes, uncommitted ones are discarded. A second signal exits at once.
 * `export --once`, `backfill` and `verify` stopped cleanly this way exit as their runs did, leaving out the
 * stop's own cancellations (ABORTED; exitCodeForRun with `stopped`): 0 when nothing else failed. A scheduled
 * `export` exits 0 (its failed runs show on /readyz, in the log and the metrics). One a second signal
 * stops at once exits 128 + the signal's number — 143 SIGTERM, 130 SIGINT.
 */
import { AbortedError, isAborted } from "../errors.ts";
import { exitCodeForSignal } from "./exit.ts";

/** The abort reason of a stop asked for by a signal: which one. */
export class SignalStop extends AbortedError {
  readonly signalName: NodeJS.Signals;
  constructor(signalName: NodeJS.Signals) {
    super(`stopped by ${signalName} (graceful shutdown)`);
    this.signalName = signalName;
  }
}

/** The signal that stopped work aborted by `signal`, if a signal did. */
export function stoppedBy(signal: AbortSignal): NodeJS.Signals | undefined {
  return signal.aborted && signal.reason instanceof SignalStop ? signal.reason.signalName : undefined;
}

/**
 * True when `err` is the cancellation of a stop a signal asked for (ABORTED once SIGTERM/SIGINT aborted
 * `signal`), e.g. a signal arriving while the sink starts: a clean stop, not a failure.
 */
export function isStopCancellation(err: unknown, signal: AbortSignal): boolean {
  return stoppedBy(signal) !== undefined && isAborted(err);
}

/**
 * Runs `work` (e.g. starting the sink); false when a signal stopped it (a clean stop: the caller exits 0
 * without running anything), true when it finished. Any other failure is thrown.
 */
export async function unlessStopped(work: () => Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    if (!isStopCancellation(err, signal)) throw err;
    return false;
  }
}

export function shutdownSignal(onFirst?: (name: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(exitCodeForSignal(name));
    onFirst?.(name);
    controller.abort(new SignalStop(name));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
