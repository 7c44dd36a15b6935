/**
 * Fault injection for the simulator's query endpoints (never for /_control/).
 *
 * Two sources, consulted once per HTTP request (a $batch counts as one):
 *  1. a deterministic queue for tests — "the next requests get exactly these
 *     faults", optionally only requests whose query text contains a substring;
 *  2. seeded random faults with a probability per kind.
 *
 * Fault text (queue entries, CLI): ok | 429[:retryAfterSeconds] | 503[:retryAfterSeconds|none] | 500
 *   | slow:<ms> | reset[:fractionOfRowsBeforeTheCut] | partial[:rows] | engine[:rows] | 401 | 403
 * Random config text (CLI --faults): comma-separated kind=probability[:param],
 *   e.g. "429=0.05,503=0.02,500=0.01,reset=0.01,slow=0.01:5000,partial=0.01:100,seed=7"
 *
 * Like the service's gateway, a 429 or 503 says `Retry-After: 0` unless told otherwise (the
 * gateway sends 0; a client that takes it literally burns its retries in a second).
 */
import { Rng } from "./data/prng.ts";

export const FAULT_KINDS = ["429", "503", "500", "slow", "reset", "partial", "engine", "401", "403"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type Fault =
  | { kind: "ok" }
  /** 429 with Retry-After (seconds). */
  | { kind: "429"; retryAfterSeconds: number }
  /** 503, with Retry-After when given. */
  | { kind: "503"; retryAfterSeconds?: number }
  | { kind: "500" }
  /** The response is held back this long; past the request's Prefer wait it becomes a 504. */
  | { kind: "slow"; delayMs: number }
  /** Part of the body is written, then the connection is destroyed (fraction of the rows before the cut). */
  | { kind: "reset"; fraction: number }
  /** 200 with only the first `rows` rows (default: half) and a PartialError (the record-limit variant). */
  | { kind: "partial"; rows?: number }
  /** 200 with only the first `rows` rows (default: half) and a PartialError that is not a limit (another engine error). */
  | { kind: "engine"; rows?: number }
  /** 401 AuthenticationFailed. */
  | { kind: "401" }
  /** 403 InsufficientAccessError (as while a role assignment has not propagated, up to an hour). */
  | { kind: "403" };

export interface FaultConfig {
  /** Seed of the random fault stream (default 0). */
  seed?: number;
  /** Probability per request of each fault kind; their sum must be <= 1. */
  probabilities?: Partial<Record<FaultKind, number>>;
  /** Retry-After of random 429s, seconds (default 0, as the gateway sends). */
  retryAfterSeconds?: number;
  /** Retry-After of random 503s, seconds (default 0, as the gateway sends; null: no header). */
  unavailableRetryAfterSeconds?: number | null;
  /** Delay of random slow responses, ms (default 5000). */
  slowMs?: number;
  /** Share of the rows written before a random reset (default 0.5). */
  resetFraction?: number;
  /** Rows kept by a random partial fault (default: half of the result). */
  partialRows?: number;
  /** Random faults only hit requests whose query text contains this substring. */
  match?: string;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FaultSpecError";
  }
}

function num(text: string, what: string, min: number, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new FaultSpecError(`${what} must be a number in [${min}, ${max}], got '${text}'`);
  }
  return n;
}

/** The Retry-After a 429/503 says when none is given: 0, as the service's gateway sends. */
export const DEFAULT_RETRY_AFTER_SECONDS = 0;

/** Parses one fault, e.g. "429:2", "slow:5000", "reset:0.25", "partial:10", "engine", "403", "ok". */
export function parseFault(text: string): Fault {
  const [kind = "", param] = text.trim().toLowerCase().split(":", 2);
  switch (kind) {
    case "ok":
      return { kind: "ok" };
    case "429":
      return { kind: "429", retryAfterSeconds: param === undefined ? DEFAULT_RETRY_AFTER_SECONDS : num(param, "429 Retry-After seconds", 0) };
    case "503":
      if (param === "none") return { kind: "503" };
      return { kind: "503", retryAfterSeconds: param === undefined ? DEFAULT_RETRY_AFTER_SECONDS : num(param, "503 Retry-After seconds", 0) };
    case "500":
      return { kind: "500" };
    case "slow":
      if (param === undefined) throw new FaultSpecError("slow needs a delay in ms, e.g. slow:5000");
      return { kind: "slow", delayMs: num(param, "slow delay (ms)", 0) };
    case "reset":
      return { kind: "reset", fraction: param === undefined ? 0.5 : num(param, "reset fraction", 0, 1) };
    case "partial":
      return param === undefined ? { kind: "partial" } : { kind: "partial", rows: Math.floor(num(param, "partial rows", 0)) };
    case "engine":
      return param === undefined ? { kind: "engine" } : { kind: "engine", rows: Math.floor(num(param, "engine rows", 0)) };
    case "401":
    case "403":
      if (param !== undefined) throw new FaultSpecError(`fault ${kind} takes no parameter ('${text}')`);
      return { kind };
    default:
      throw new FaultSpecError(
        `unknown fault '${text}'; expected ok, 429[:s], 503[:s|none], 500, slow:<ms>, reset[:fraction], partial[:rows], engine[:rows], 401, 403`,
      );
  }
}

/** Parses the CLI form "429=0.05,503=0.02,reset=0.01,slow=0.01:5000,partial=0.01,seed=7". */
export function parseFaultConfig(text: string): FaultConfig {
  const config: FaultConfig = { probabilities: {} };
  const probabilities = config.probabilities as Partial<Record<FaultKind, number>>;
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const eq = item.indexOf("=");
    if (eq < 0) throw new FaultSpecError(`'${item}' is not kind=probability[:param]`);
    const key = item.slice(0, eq).trim().toLowerCase();
    const [p = "", param] = item.slice(eq + 1).split(":", 2);
    if (key === "seed") {
      config.seed = Math.floor(num(p, "seed", 0));
      continue;
    }
    if (!(FAULT_KINDS as readonly string[]).includes(key)) {
      throw new FaultSpecError(`unknown fault kind '${key}' in '${item}'; expected one of ${FAULT_KINDS.join(", ")} or seed`);
    }
    probabilities[key as FaultKind] = num(p, `probability of ${key}`, 0, 1);
    if (param !== undefined) {
      if (key === "429") config.retryAfterSeconds = num(param, "429 Retry-After seconds", 0);
      else if (key === "503") config.unavailableRetryAfterSeconds = num(param, "503 Retry-After seconds", 0);
      else if (key === "slow") config.slowMs = num(param, "slow delay (ms)", 0);
      else if (key === "reset") config.resetFraction = num(param, "reset fraction", 0, 1);
      else if (key === "partial" || key === "engine") config.partialRows = Math.floor(num(param, `${key} rows`, 0));
      else throw new FaultSpecError(`fault kind ${key} takes no parameter ('${item}')`);
    }
  }
  validateConfig(config);
  return config;
}

function validateConfig(config: FaultConfig): void {
  const p = config.probabilities ?? {};
  let sum = 0;
  for (const [kind, value] of Object.entries(p)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new FaultSpecError(`unknown fault kind '${kind}'`);
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
      throw new FaultSpecError(`probability of ${kind} must be in [0, 1], got ${String(value)}`);
    }
    sum += value;
  }
  if (sum > 1 + 1e-9) throw new FaultSpecError(`fault probabilities add up to ${sum}; they must not exceed 1`);
}

interface QueuedFault {
  fault: Fault;
  match: string | undefined;
}

export class FaultController {
  private cfg: FaultConfig = {};
  private rng = new Rng(0);
  private readonly queue: QueuedFault[] = [];
  private readonly counts: Record<string, number> = {};

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  /** A copy of the random fault configuration. */
  config(): FaultConfig {
    return structuredClone(this.cfg);
  }

  /** Replaces the random fault configuration (and restarts its seeded stream). */
  set(config: FaultConfig): void {
    validateConfig(config);
    this.cfg = structuredClone(config);
    this.rng = new Rng(config.seed ?? 0);
  }

  /** Merges into the random fault configuration (probabilities merged per kind). */
  merge(config: FaultConfig): void {
    const next: FaultConfig = {
      ...this.cfg,
      ...config,
      probabilities: { ...this.cfg.probabilities, ...config.probabilities },
    };
    validateConfig(next);
    const reseed = config.seed !== undefined && config.seed !== this.cfg.seed;
    this.cfg = structuredClone(next);
    if (reseed) this.rng = new Rng(next.seed ?? 0);
  }

  /** The next requests (matching `match`, if given) get exactly these faults, in order. */
  enqueue(faults: readonly (Fault | string)[], options: { match?: string } = {}): void {
    for (const f of faults) this.queue.push({ fault: typeof f === "string" ? parseFault(f) : f, match: options.match });
  }

  clearQueue(): void {
    this.queue.length = 0;
  }

  /** Faults still waiting in the queue. */
  queued(): number {
    return this.queue.length;
  }

  /** Faults injected so far, by kind. */
  injected(): Record<string, number> {
    return { ...this.counts };
  }

  /** Decides the fault for one request carrying these query texts. */
  next(queries: readonly string[]): Fault {
    const matches = (m: string | undefined) => m === undefined || queries.some((q) => q.includes(m));
    const i = this.queue.findIndex((q) => matches(q.match));
    let fault: Fault = { kind: "ok" };
    if (i >= 0) {
      fault = (this.queue.splice(i, 1)[0] as QueuedFault).fault;
    } else if (matches(this.cfg.match)) {
      fault = this.randomFault();
    }
    if (fault.kind !== "ok") this.counts[fault.kind] = (this.counts[fault.kind] ?? 0) + 1;
    return fault;
  }

  private randomFault(): Fault {
    const p = this.cfg.probabilities ?? {};
    if (!FAULT_KINDS.some((k) => (p[k] ?? 0) > 0)) return { kind: "ok" };
    let u = this.rng.float();
    for (const kind of FAULT_KINDS) {
      const pk = p[kind] ?? 0;
      if (u < pk) return this.build(kind);
      u -= pk;
    }
    return { kind: "ok" };
  }

  private build(kind: FaultKind): Fault {
    const c = this.cfg;
    switch (kind) {
      case "429":
        return { kind, retryAfterSeconds: c.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
      case "503":
        return c.unavailableRetryAfterSeconds === null ? { kind } : { kind, retryAfterSeconds: c.unavailableRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
      case "500":
        return { kind };
      case "slow":
        return { kind, delayMs: c.slowMs ?? 5000 };
      case "reset":
        return { kind, fraction: c.resetFraction ?? 0.5 };
      case "partial":
      case "engine":
        return c.partialRows === undefined ? { kind } : { kind, rows: c.partialRows };
      case "401":
      case "403":
        return { kind };
    }
  }
}
