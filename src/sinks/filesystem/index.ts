export { createFilesystemSink } from "./filesystem-sink.ts";
export type { FilesystemSinkOptions } from "./filesystem-sink.ts";
export { DEFAULT_LOCK_HEARTBEAT_MS, DEFAULT_LOCK_STALE_MS } from "./lock-file.ts";
