/** Small node:http helpers shared by the query API and the control endpoints. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorResponse } from "./service-errors.ts";

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body larger than ${MAX_BODY_BYTES} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** Reads the whole request body as UTF-8 text (bounded). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ErrorResponse): void {
  sendJson(res, error.status, error.body, error.headers);
}

/** True when the client accepts a gzip-encoded response. */
export function acceptsGzip(req: IncomingMessage): boolean {
  const h = req.headers["accept-encoding"];
  const text = Array.isArray(h) ? h.join(",") : (h ?? "");
  return text
    .split(",")
    .map((p) => p.trim().toLowerCase())
    .some((p) => p === "gzip" || (p.startsWith("gzip;") && !/q=0(\.0*)?$/.test(p)));
}

/** Waits `ms` of real time; resolves early (with false) if the client goes away. */
export function sleepUnlessGone(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve(false);
      return;
    }
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    res.once("close", onClose);
  });
}
