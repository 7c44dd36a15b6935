/**
 * Single writer per StateKey on SQLite: a row in `<prefix>_monitorlift_locks` (owner token, host,
 * pid, heartbeat), taken inside BEGIN IMMEDIATE so two processes cannot both take it.
 *
 * A holder is stale, and its lock taken over, when it runs on this host and its pid is gone, or
 * when its heartbeat is older than STALE_MS (another host, a hung process, a reused pid). The
 * holder refreshes the heartbeat every HEARTBEAT_MS (the shared Watchdog of src/state/locks.ts)
 * and in every commit transaction; a commit
 * checks in the same transaction that the row still names it (a fence), so a writer whose lock
 * was taken over cannot commit, and its signal aborts at the next heartbeat.
 */
import { randomUUID } from "node:crypto";
import { SinkError } from "../../../errors.ts";
import { LockHeldError, Watchdog } from "../../../state/locks.ts";
import { processGone } from "../../../state/process-liveness.ts";
import type { Logger } from "../../../telemetry/logger.ts";
import type { StateKey } from "../../sink.ts";
import type { HeldLock, MetadataTables, SqlSession } from "../dialect.ts";
import { keyLabel, processIdentity } from "../lock-keys.ts";
import { quoteSqlite, type SqliteConnection, type SqliteSession } from "./sqlite-session.ts";

export const HEARTBEAT_MS = 15_000;
export const STALE_MS = 60_000;

interface Holder {
  owner: string;
  host: string;
  pid: number;
  acquired_at: string;
  heartbeat_ms: number;
}

/** Why a holder no longer counts, or undefined when it is live. */
export function staleReason(holder: Holder, now: number, me: { host: string }): string | undefined {
  if (holder.host === me.host && processGone(holder.pid)) return `its process (pid ${holder.pid} on ${holder.host}) is gone (exited, or a zombie its parent has not reaped)`;
  const age = now - holder.heartbeat_ms;
  if (age > STALE_MS) return `its last heartbeat is ${Math.round(age / 1000)} s old`;
  return undefined;
}

export async function acquireSqliteLock(
  connection: SqliteConnection,
  tables: MetadataTables,
  key: StateKey,
  logger: Logger,
  signal?: AbortSignal,
): Promise<HeldLock> {
  const locks = quoteSqlite(tables.locks);
  const me = processIdentity();
  const owner = randomUUID();
  const session = await connection.session(signal);
  try {
    await session.beginImmediate(signal);
    const now = Date.now();
    const found = session.querySync(`SELECT owner, host, pid, acquired_at, heartbeat_ms FROM ${locks} WHERE query = ? AND scope = ?`, [key.query, key.scope]);
    const holder = found.rows[0] as unknown as Holder | undefined;
    if (holder) {
      const reason = staleReason({ ...holder, pid: Number(holder.pid), heartbeat_ms: Number(holder.heartbeat_ms) }, now, me);
      if (reason === undefined) {
        session.querySync("ROLLBACK");
        const age = Math.round((now - Number(holder.heartbeat_ms)) / 1000);
        throw new LockHeldError(
          {
            description: `monitorlift on host ${holder.host} pid ${holder.pid} since ${holder.acquired_at}`,
            // On this host a running pid is a live holder; elsewhere, whether it renews tells.
            state: holder.host === me.host ? "live" : "unknown",
            renewal: `${holder.owner}:${holder.heartbeat_ms}`,
            renewEveryMs: HEARTBEAT_MS,
          },
          `sql sink: ${keyLabel(key)} is locked by monitorlift on host ${holder.host} pid ${holder.pid} since ${holder.acquired_at} (last heartbeat ${age} s ago). Only one monitorlift may export a query and scope at a time.`,
          { hint: `Wait for that run to finish or stop it; a lock whose holder is gone is taken over after ${STALE_MS / 1000} s without heartbeat.` },
        );
      }
      logger.warn({ query: key.query, scope: key.scope, previousHost: holder.host, previousPid: holder.pid, reason }, "taking over a stale sql lock");
      session.querySync(`DELETE FROM ${locks} WHERE query = ? AND scope = ?`, [key.query, key.scope]);
    }
    session.querySync(`INSERT INTO ${locks} (query, scope, owner, host, pid, acquired_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      key.query,
      key.scope,
      owner,
      me.host,
      me.pid,
      new Date(now).toISOString(),
      now,
    ]);
    session.querySync("COMMIT");
  } finally {
    await session.release();
  }

  const refresh = (s: SqliteSession | SqlSession) =>
    s.query(`UPDATE ${locks} SET heartbeat_ms = ? WHERE query = ? AND scope = ? AND owner = ?`, [Date.now(), key.query, key.scope, owner]);
  const watchdog = new Watchdog({
    intervalMs: HEARTBEAT_MS,
    logger: logger.child({ query: key.query, scope: key.scope }),
    // A busy database skips a beat; the next one (or a commit) refreshes it.
    missedLogLevel: "debug",
    lostError: (reason, cause) => new SinkError("LOCK_LOST", `sql sink: the lock of ${keyLabel(key)} was lost: ${reason}. Writing stopped.`, { cause, retryable: true }),
    async beat(wd) {
      const s = await connection.session();
      try {
        await s.beginImmediate(undefined, HEARTBEAT_MS / 3);
        const r = await refresh(s);
        s.querySync("COMMIT");
        if (r.rowCount !== 1) wd.lose("another process took it over");
      } finally {
        await s.release();
      }
    },
  });
  let released = false;

  return {
    signal: watchdog.signal,
    async verify(s: SqlSession): Promise<boolean> {
      const r = await refresh(s);
      return r.rowCount === 1;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await watchdog.stop();
      if (!connection.db.isOpen) return;
      const s = await connection.session();
      try {
        await s.beginImmediate();
        s.querySync(`DELETE FROM ${locks} WHERE query = ? AND scope = ? AND owner = ?`, [key.query, key.scope, owner]);
        s.querySync("COMMIT");
      } finally {
        await s.release();
      }
    },
  };
}
