/**
 * Single writer per StateKey on PostgreSQL: pg_try_advisory_lock on a session of its own (the
 * lock lives exactly as long as that session). The session is checked every few seconds (the shared
 * Watchdog of src/state/locks.ts); when it dies or stops answering the lock is gone and the signal aborts. Commits re-check in their own transaction that the
 * lock is still held by this session (a fence), so a writer that lost its lock cannot commit.
 */
import pg from "pg";
import { SinkError, messageOf } from "../../../errors.ts";
import type { Logger } from "../../../telemetry/logger.ts";
import type { StateKey } from "../../sink.ts";
import type { HeldLock, SqlSession } from "../dialect.ts";
import { LockHeldError, type Watchdog } from "../../../state/locks.ts";
import { sessionWatchdog } from "../session-watchdog.ts";
import { advisoryKey, keyLabel, processIdentity } from "../lock-keys.ts";


const HOLDER_SQL = `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
  FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits). */
function keyParts(key: bigint): [string, string] {
  const unsigned = BigInt.asUintN(64, key);
  return [(unsigned >> 32n).toString(), (unsigned & 0xffffffffn).toString()];
}

export async function acquirePgLock(
  clientConfig: pg.ClientConfig,
  namespace: readonly string[],
  key: StateKey,
  logger: Logger,
  signal?: AbortSignal,
): Promise<HeldLock> {
  signal?.throwIfAborted();
  const me = processIdentity();
  const client = new pg.Client({ ...clientConfig, application_name: me.label.slice(0, 63) });
  let released = false;
  let watchdog: Watchdog | undefined;
  // A session failure before the watchdog runs is remembered and reported by it at once.
  let earlyLoss: { reason: string; cause?: unknown } | undefined;
  const lose = (reason: string, cause?: unknown) => {
    if (released) return;
    if (watchdog) watchdog.lose(reason, cause);
    else earlyLoss ??= { reason, cause };
  };
  client.on("error", (err) => lose(`its PostgreSQL session failed (${err.message})`, err));
  client.on("end", () => lose("its PostgreSQL session ended"));

  const lockKey = advisoryKey(["monitorlift", ...namespace, key.query, key.scope]);
  const onAbort = () => client.end().catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  let pid: number;
  try {
    await client.connect();
    const got = await client.query<{ locked: boolean; pid: number }>("SELECT pg_try_advisory_lock($1::bigint) AS locked, pg_backend_pid() AS pid", [lockKey.toString()]);
    pid = got.rows[0]!.pid;
    if (!got.rows[0]!.locked) {
      const holder = await client.query<{ pid: number; application_name: string | null; client_addr: string | null; backend_start: Date | null }>(
        HOLDER_SQL,
        keyParts(lockKey),
      );
      const h = holder.rows[0];
      const who = h
        ? `PostgreSQL backend pid ${h.pid}${h.application_name ? ` ("${h.application_name}")` : ""}${h.client_addr ? ` from ${h.client_addr}` : ""}${h.backend_start ? ` connected since ${h.backend_start.toISOString()}` : ""}`
        : "another session (which has released it since; try again)";
      released = true;
      await client.end().catch(() => undefined);
      throw new LockHeldError({ description: who, state: h ? "live" : "unknown" }, `sql sink: ${keyLabel(key)} is locked by ${who}. Only one monitorlift may export a query and scope at a time.`, {
        retryable: false,
        hint: "Wait for the other run to finish, or stop it. The lock is released when its database session ends.",
      });
    }
  } catch (err) {
    released = true;
    await client.end().catch(() => undefined);
    if (err instanceof SinkError) throw err;
    if (signal?.aborted) throw signal.reason;
    throw new SinkError("SINK_UNAVAILABLE", `sql sink: cannot take the lock of ${keyLabel(key)} on PostgreSQL: ${messageOf(err)}`, { cause: err, retryable: true });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }

  watchdog = sessionWatchdog({
    key,
    logger,
    session: "PostgreSQL session",
    ping: () => client.query("SELECT 1"),
    close: () => void client.end().catch(() => undefined),
  });
  if (earlyLoss) watchdog.lose(earlyLoss.reason, earlyLoss.cause);
  const held = watchdog;

  const [classid, objid] = keyParts(lockKey);
  return {
    signal: held.signal,
    async verify(session: SqlSession): Promise<boolean> {
      const r = await session.query(
        `SELECT 1 AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = CAST(? AS bigint)::oid AND objid = CAST(? AS bigint)::oid
           AND objsubid = 1 AND pid = ? AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [classid, objid, pid],
      );
      return r.rows.length === 1;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await held.stop();
      try {
        await client.query("SELECT pg_advisory_unlock($1::bigint)", [lockKey.toString()]);
      } catch {
        // the session is closing anyway: ending it releases the lock
      }
      await client.end().catch(() => undefined);
    },
  };
}
