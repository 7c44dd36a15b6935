export { createSqlSink } from "./sql-sink.ts";
