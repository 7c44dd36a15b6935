/**
 * Node filesystem errors (ENOSPC, EACCES, EROFS, EIO, …) as SinkErrors whose message names the
 * path, says what went wrong in words and what to do about it. Retryable only for transient
 * conditions (I/O hiccups, busy or stale handles, descriptor exhaustion), never for a full disk
 * or a permission problem, which need someone to act first.
 */
import { MonitorliftError, SinkError, messageOf } from "../../errors.ts";

const RETRYABLE = new Set(["EIO", "EAGAIN", "EBUSY", "EMFILE", "ENFILE", "ETIMEDOUT", "ESTALE", "EINTR", "ECONNRESET", "EHOSTDOWN", "ENETDOWN"]);

const ADVICE: Record<string, string> = {
  ENOSPC: "the filesystem is full; free space on it or point sink.path at a larger volume, then run again",
  EDQUOT: "the disk quota of the user running monitorlift is used up; raise it or free space, then run again",
  EACCES: "permission denied; give the user running monitorlift write access to this folder, or point sink.path elsewhere",
  EPERM: "the operation is not permitted; check the folder's owner and permissions (and any immutable attribute), or point sink.path elsewhere",
  EROFS: "the filesystem is mounted read-only; remount it read-write or point sink.path at a writable location",
  ENOTDIR: "a part of this path is a file, not a folder; fix sink.path or move that file away",
  EISDIR: "a folder is in the way where a file is expected; move it away",
  ENAMETOOLONG: "the path is too long for this filesystem; use a shorter sink.path or query name",
  ENOENT: "a folder on the path is missing (removed while the export ran?); check sink.path",
  EIO: "the device reported an I/O error; check the disk or network mount (see the system log), then run again",
  EMFILE: "too many open files; raise the open-file limit (ulimit -n) or lower the concurrency",
  ENFILE: "the system ran out of file handles; lower the concurrency or raise the system limit",
  ESTALE: "the network filesystem handle went stale; check the mount, then run again",
  EBUSY: "the file or device is busy; run again",
  EEXIST: "a file already exists there; move it away",
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A SinkError("SINK_WRITE") for a failed filesystem operation; typed errors pass through unchanged. */
export function fsError(err: unknown, action: string, path: string): MonitorliftError {
  if (err instanceof MonitorliftError) return err;
  const code = errnoCode(err) ?? "unknown error";
  const advice = ADVICE[code] ?? "check that the folder exists, is writable and that the disk is healthy, then run again";
  return new SinkError("SINK_WRITE", `could not ${action} ${path}: ${code} (${messageOf(err)}); ${advice}.`, {
    cause: err,
    retryable: RETRYABLE.has(code),
  });
}
