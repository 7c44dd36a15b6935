/** Key paths in messages: ["queries", 1, "window", "size"] → "queries[1].window.size". */

export type PathSegment = string | number;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** "path: message", or just the message at the root. */
export function problem(path: readonly PropertyKey[] | string, message: string): string {
  const p = typeof path === "string" ? path : formatPath(path);
  return p === "" ? message : `${p}: ${message}`;
}
