/**
 * Small readers for the deployment files the tests check: the Dockerfile's stages and instructions, systemd
 * units, a structural check of Bicep text, and the ${env:NAME} references of a config. Just enough for
 * the files this repository ships; anything they do not understand makes the caller's test fail.
 */

export interface DockerInstruction {
  name: string;
  args: string;
}

export interface DockerStage {
  /** The `AS name`, or the stage's index as text. */
  name: string;
  from: string;
  instructions: DockerInstruction[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
export function dockerfileStages(text: string): DockerStage[] {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, name, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!name || args === undefined) throw new Error(`Dockerfile: cannot read the line "${line}"`);
    const upper = name.toUpperCase();
    if (upper === "FROM") {
      const [, image, alias] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name: alias ?? String(stages.length), from: image ?? args, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: "${line}" before FROM`);
    stage.instructions.push({ name: upper, args: args.replace(/\s+/g, " ") });
  }
  return stages;
}

/** A systemd unit's sections → key → every value given (keys may repeat). */
export function iniSections(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = out[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq < 1) throw new Error(`unit file: cannot read the line "${line}"`);
    (section[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return out;
}

/** Problems of Bicep text's structure: unbalanced { } [ ] ( ) outside strings and comments, an unclosed string. */
export function bicepProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: Array<{ ch: string; line: number }> = [];
  const pairs: Record<string, string> = { "}": "{", "]": "[", ")": "(" };
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      line++;
    } else if (c === "'") {
      const start = line;
      for (i++; i < text.length && text[i] !== "'"; i++) {
        if (text[i] === "\\") i++;
        else if (text[i] === "\n") line++;
      }
      if (i >= text.length) problems.push(`line ${start}: unclosed string`);
    } else if (c === "{" || c === "[" || c === "(") stack.push({ ch: c, line });
    else if (c in pairs) {
      const open = stack.pop();
      if (open?.ch !== pairs[c]) problems.push(`line ${line}: '${c}' does not close ${open ? `'${open.ch}' of line ${open.line}` : "anything"}`);
    }
  }
  for (const open of stack) problems.push(`line ${open.line}: '${open.ch}' is never closed`);
  return problems;
}

/** The NAMEs of `${env:NAME}` references that have no `:-default`, sorted. */
export function envNamesWithoutDefault(configText: string): string[] {
  const names = new Set<string>();
  for (const m of configText.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) if (!m[2]) names.add(m[1]!);
  return [...names].sort();
}
