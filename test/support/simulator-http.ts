/**
 * Helpers for the simulator's own tests: the real @azure/monitor-query-logs
 * client pointed at a simulator (bearer policy removed, plain http allowed),
 * and raw HTTP calls that keep the exact response text.
 */
import http from "node:http";
import zlib from "node:zlib";
import type { TokenCredential } from "@azure/core-auth";
import { LogsQueryClient, type LogsQueryClientOptions } from "@azure/monitor-query-logs";
import type { Simulator } from "../../src/simulator/simulator.ts";

const dummyCredential: TokenCredential = {
  getToken: () => Promise.reject(new Error("the simulator needs no token; the bearer policy should have been removed")),
};

export interface ClientOptions {
  /** SDK retries (default 0: every fault is visible). */
  maxRetries?: number;
  retryDelayInMs?: number;
  /** Send Accept-Encoding: gzip (the SDK's default) — default true. */
  gzip?: boolean;
}

/** A real LogsQueryClient talking to the simulator without auth. */
export function sdkClient(sim: Simulator, options: ClientOptions = {}): LogsQueryClient {
  const clientOptions: LogsQueryClientOptions & { allowInsecureConnection: boolean } = {
    endpoint: sim.endpoint,
    allowInsecureConnection: true,
    retryOptions: { maxRetries: options.maxRetries ?? 0, retryDelayInMs: options.retryDelayInMs ?? 10, maxRetryDelayInMs: 100 },
  };
  const client = new LogsQueryClient(dummyCredential, clientOptions);
  client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
  if (options.gzip === false) {
    client.pipeline.addPolicy(
      {
        name: "noGzip",
        sendRequest: (request, next) => {
          request.headers.delete("Accept-Encoding");
          return next(request);
        },
      },
      { afterPhase: "Retry" },
    );
  }
  return client;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body text (decompressed when gzip was used). */
  text: string;
}

/** POSTs a JSON body to a path under the simulator's origin and returns the exact response text. */
export function rawPost(
  sim: Simulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === "string" ? body : JSON.stringify(body);
    const req = http.request(`${sim.origin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        let buf = Buffer.concat(chunks);
        if (res.headers["content-encoding"] === "gzip") buf = zlib.gunzipSync(buf);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: buf.toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** POSTs a query to the simulator's workspace. */
export function rawQuery(
  sim: Simulator,
  body: { query: string; timespan?: string; workspaces?: string[] },
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawPost(sim, `/v1/workspaces/${sim.workspaceId}/query`, body, headers);
}

/** GET/POST a control endpoint and parse its JSON. */
export async function control(sim: Simulator, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.origin}/_control/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}
