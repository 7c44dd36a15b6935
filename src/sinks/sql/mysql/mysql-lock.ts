/**
 * Single writer per StateKey on MySQL / MariaDB: GET_LOCK(name, 0) on a connection of its own (the
 * lock lives as long as that connection). The connection is pinged every few seconds; when it dies
 * the signal aborts. Commits re-check in their own transaction that IS_USED_LOCK(name) is still
 * this connection (a fence). Lock names are server-wide, so they include the database name.
 */
import mysql from "mysql2/promise";
import { SinkError, messageOf } from "../../../errors.ts";
import type { Logger } from "../../../telemetry/logger.ts";
import type { StateKey } from "../../sink.ts";
import type { HeldLock, SqlSession } from "../dialect.ts";
import { LockHeldError, type Watchdog } from "../../../state/locks.ts";
import { sessionWatchdog } from "../session-watchdog.ts";
import { keyLabel, lockDigest } from "../lock-keys.ts";


export async function acquireMysqlLock(
  options: mysql.ConnectionOptions,
  namespace: readonly string[],
  key: StateKey,
  logger: Logger,
  signal?: AbortSignal,
): Promise<HeldLock> {
  signal?.throwIfAborted();
  // GET_LOCK names are at most 64 characters.
  const name = `monitorlift:${lockDigest(["monitorlift", ...namespace, key.query, key.scope], 40)}`;
  let released = false;
  let conn: mysql.Connection | undefined;
  let watchdog: Watchdog | undefined;
  // A connection failure before the watchdog runs is remembered and reported by it at once.
  let earlyLoss: { reason: string; cause?: unknown } | undefined;
  const lose = (reason: string, cause?: unknown) => {
    if (released) return;
    if (watchdog) watchdog.lose(reason, cause);
    else earlyLoss ??= { reason, cause };
  };

  let threadId: number;
  try {
    conn = await mysql.createConnection(options);
    signal?.throwIfAborted();
    conn.on("error", (err: Error) => lose(`its MySQL connection failed (${err.message})`, err));
    const [rows] = await conn.execute<mysql.RowDataPacket[]>("SELECT GET_LOCK(?, 0) AS got, CONNECTION_ID() AS id", [name]);
    threadId = Number(rows[0]!.id);
    if (Number(rows[0]!.got) !== 1) {
      const [holder] = await conn.execute<mysql.RowDataPacket[]>(
        "SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.TIME AS time FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)",
        [name],
      );
      const h = holder[0];
      const who = h
        ? `MySQL connection ${h.id} (user ${h.user} from ${h.host}, connected ${h.time} s)`
        : "another connection (which has released it since; try again)";
      throw new LockHeldError({ description: who, state: h ? "live" : "unknown" }, `sql sink: ${keyLabel(key)} is locked by ${who}. Only one monitorlift may export a query and scope at a time.`, {
        hint: "Wait for the other run to finish, or stop it. The lock is released when its connection ends.",
      });
    }
  } catch (err) {
    released = true;
    conn?.destroy();
    if (err instanceof SinkError) throw err;
    if (signal?.aborted) throw signal.reason;
    throw new SinkError("SINK_UNAVAILABLE", `sql sink: cannot take the lock of ${keyLabel(key)} on MySQL: ${messageOf(err)}`, { cause: err, retryable: true });
  }

  const lockConn = conn;
  watchdog = sessionWatchdog({
    key,
    logger,
    session: "MySQL connection",
    ping: () => lockConn.ping(),
    close: () => lockConn.destroy(),
  });
  if (earlyLoss) watchdog.lose(earlyLoss.reason, earlyLoss.cause);
  const held = watchdog;

  return {
    signal: held.signal,
    async verify(session: SqlSession): Promise<boolean> {
      const r = await session.query("SELECT IS_USED_LOCK(?) AS holder", [name]);
      const holder = r.rows[0]?.holder;
      return holder !== null && holder !== undefined && Number(holder) === threadId;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await held.stop();
      try {
        await lockConn.execute("SELECT RELEASE_LOCK(?)", [name]);
        await lockConn.end();
      } catch {
        lockConn.destroy();
      }
    },
  };
}
