/**
 * The logger: structured JSON (one object per line) when stderr is not a TTY,
 * readable lines on a TTY, their times in UTC like every window. Secrets are redacted by key wherever they appear.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export const REDACTED_KEYS = [
  "secret",
  "clientSecret",
  "password",
  "token",
  "accessToken",
  "authorization",
  "connectionString",
  "sas",
  "sasToken",
  "url",
];

export interface LoggerOptions {
  level?: string;
  /** Force readable (true) or JSON (false) output; default: readable on a TTY. */
  pretty?: boolean;
  /** Where to write; default stderr. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const readable = options.pretty ?? Boolean((destination as NodeJS.WriteStream).isTTY);
  const config = {
    level: options.level ?? "info",
    base: undefined,
    redact: {
      paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
      censor: "[redacted]",
    },
  };
  if (readable) {
    return pino(config, pretty({ destination, sync: true, ignore: "pid,hostname", translateTime: "UTC:HH:MM:ss.l'Z'" }));
  }
  return pino(config, pino.destination({ dest: (destination as { fd?: number }).fd ?? 2, sync: true }));
}

/**
 * Where readable log lines go: `target` (stderr), or while a progress bar is drawn on the same terminal,
 * to the bar, which prints them above itself and redraws (src/telemetry/progress.ts), so a log line never
 * scrolls the bar away or lands in the middle of it.
 */
export class LogLines extends Writable {
  readonly #target: NodeJS.WritableStream;
  #divert: ((text: string) => void) | undefined;
  constructor(target: NodeJS.WritableStream) {
    super();
    this.#target = target;
  }
  /** Sends the lines to `to` from now on; undefined: back to the target. */
  divert(to: ((text: string) => void) | undefined): void {
    this.#divert = to;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk.toString();
    if (this.#divert) this.#divert(text);
    else this.#target.write(text);
    callback();
  }
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
