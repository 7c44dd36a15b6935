/** What a query name may be: it names the query's cursor and its output folder or table (src/sinks/layout.ts reads it from here). */
export const QUERY_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
