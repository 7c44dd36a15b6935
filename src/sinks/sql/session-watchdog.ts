/**
 * The watchdog of a lock that lives as long as a database session (a PostgreSQL advisory lock, a MySQL
 * GET_LOCK): the session is pinged every CHECK_INTERVAL_MS; a ping that fails or does not answer within
 * CHECK_TIMEOUT_MS loses the lock (LOCK_LOST, retryable), and losing it closes the session so the
 * server releases the lock for whoever takes over.
 */
import { SinkError, messageOf } from "../../errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { StateKey } from "../sink.ts";
import { Watchdog } from "../../state/locks.ts";
import { keyLabel } from "./lock-keys.ts";

const CHECK_INTERVAL_MS = 5_000;
const CHECK_TIMEOUT_MS = 10_000;

export interface SessionWatchdogOptions {
  key: StateKey;
  logger: Logger;
  /** What holds the lock, for messages: "MySQL connection", "PostgreSQL session". */
  session: string;
  ping(): Promise<unknown>;
  close(): void;
}

export function sessionWatchdog(o: SessionWatchdogOptions): Watchdog {
  return new Watchdog({
    intervalMs: CHECK_INTERVAL_MS,
    beatTimeoutMs: CHECK_TIMEOUT_MS,
    timeoutReason: `its ${o.session} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`,
    logger: o.logger.child({ query: o.key.query, scope: o.key.scope }),
    lostError: (reason, cause) => new SinkError("LOCK_LOST", `sql sink: the lock of ${keyLabel(o.key)} was lost: ${reason}. Writing stopped.`, { cause, retryable: true }),
    onLost: () => o.close(),
    async beat(wd) {
      await o.ping().catch((err: unknown) => wd.lose(`its ${o.session} failed (${messageOf(err)})`, err));
    },
  });
}
