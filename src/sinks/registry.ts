/**
 * The sink registry: one factory per `sink.type`, loaded on demand so a filesystem export
 * never loads the blob SDK or the database drivers.
 */
import type { SinkConfig } from "../config/types.ts";
import type { Destination, SinkDeps } from "./sink.ts";

export async function createSink(config: SinkConfig, deps: SinkDeps): Promise<Destination> {
  switch (config.type) {
    case "filesystem":
      return (await import("./filesystem/index.ts")).createFilesystemSink(config, deps);
    case "blob":
    case "adls":
      return (await import("./blob/index.ts")).createBlobSink(config, deps);
    case "sql":
      return (await import("./sql/index.ts")).createSqlSink(config, deps);
  }
}
