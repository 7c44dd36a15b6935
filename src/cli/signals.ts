/**
 * SIGINT/SIGTERM → a graceful stop: the AbortSignal tells the runner to stop starting work;
 * the window being committed finishes, uncommitted ones are discarded. A second signal exits at once (130).
 */
import { AbortedError } from "../errors.ts";
import { EXIT_INTERRUPTED } from "./exit.ts";

export function shutdownSignal(onFirst?: (name: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    onFirst?.(name);
    controller.abort(new AbortedError(`stopped by ${name} (graceful shutdown)`));
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
