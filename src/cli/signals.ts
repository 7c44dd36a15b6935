/**
 * SIGINT/SIGTERM → a graceful stop: the AbortSignal tells the runner to stop starting work;
 * the window being committed finishes, uncommitted ones are discarded. A second signal exits at once.
 * A command stopped cleanly this way (export, once or scheduled, backfill, verify) exits 0 whatever its
 * runs did (exitCodeForStop): nothing is lost and the next run resumes from the last committed window.
 * One a second signal stops at once exits 128 + the signal's number — 143 SIGTERM, 130 SIGINT.
 */
import { AbortedError } from "../errors.ts";
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
