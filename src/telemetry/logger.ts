/**
 * The logger: structured JSON (one object per line) when stderr is not a TTY,
 * readable lines on a TTY, their times in UTC like every window. Secrets are redacted by key wherever they appear.
 */
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

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
