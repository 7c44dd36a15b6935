/** What a query name may be: it names the query's cursor and its output folder or table (src/sinks/layout.ts reads it from here). */
export const QUERY_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/**
 * What a source name (a key of `sources`) may be: lowercase, so that two names never differ only in
 * case wherever they appear (log fields, metric attributes, StatsD path segments, status output).
 */
export const SOURCE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
