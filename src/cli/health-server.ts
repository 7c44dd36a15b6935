/**
 * The HTTP listener of a scheduled export (health.port / --health-port): GET /healthz and /readyz
 * (src/runner/health.ts; 200 or 503, a small JSON body without any secret or error message), and
 * /metrics when the Prometheus exporter is configured on the same port (it then hands its request
 * handler to this listener instead of opening its own). Anything else is 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MonitorliftError } from "../errors.ts";
import type { HealthReport, HealthState } from "../runner/health.ts";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HealthServer {
  /** The port actually listened on (useful with port 0). */
  port: number;
  /** Serve GET /metrics with this handler (the Prometheus exporter's). */
  attachMetrics(handler: RequestHandler): void;
  close(): Promise<void>;
}

export async function startHealthServer(state: HealthState, options: { host: string; port: number }): Promise<HealthServer> {
  let metrics: RequestHandler | undefined;
  const send = (res: ServerResponse, report: HealthReport) => {
    const body = `${JSON.stringify(report.body)}\n`;
    res.writeHead(report.ok ? 200 : 503, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") return send(res, state.liveness());
    if (path === "/readyz") return send(res, state.readiness());
    if (path === "/metrics" && metrics) return metrics(req, res);
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: /healthz, /readyz" + (metrics ? ", /metrics" : "") + "\n");
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new MonitorliftError("CONFIG_INVALID", `health: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, { hint: "choose another health.port (--health-port) or stop what uses it" })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    attachMetrics(handler) {
      metrics = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
