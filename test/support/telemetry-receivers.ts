/**
 * Real metric receivers on loopback for the telemetry tests: StatsD over UDP and TCP (line
 * protocol), an OTLP/HTTP collector (protobuf and JSON, decoded into one shape), an Azure Monitor
 * ingestion endpoint (HTTPS with a throw-away certificate, envelopes decoded), and a Prometheus
 * text-format parser. Every wait is bounded.
 */
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import {
  decodeOtlpLogsProtobuf,
  decodeOtlpMetricsProtobuf,
  decodeOtlpTracesProtobuf,
  otlpJsonToLogs,
  otlpJsonToMetrics,
  otlpJsonToTraces,
  type OtlpLogs,
  type OtlpMetrics,
  type OtlpTraces,
} from "./otlp-decode.ts";

/** Waits until `check()` is true, polling; throws after `ms` with `what` in the message. */
export async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A free TCP port on 127.0.0.1 (listen on 0, note it, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface StatsdReceiver {
  port: number;
  lines: string[];
  close(): Promise<void>;
}

export async function startStatsdUdp(): Promise<StatsdReceiver> {
  const socket = dgram.createSocket("udp4");
  const lines: string[] = [];
  socket.on("message", (msg) => lines.push(...msg.toString("utf8").split("\n").filter(Boolean)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    lines,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A StatsD agent over TCP on `port` (0: any); lines are split on "\n" across packets. */
export async function startStatsdTcp(port = 0): Promise<StatsdReceiver> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let rest = "";
    socket.on("data", (chunk) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts.filter(Boolean));
    });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HttpRequestSeen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface OtlpReceiver {
  url: string;
  port: number;
  requests: HttpRequestSeen[];
  /** Every metrics request decoded (protobuf or JSON by its content type). */
  decoded(): OtlpMetrics[];
  /** Every logs request decoded. */
  decodedLogs(): OtlpLogs[];
  /** Every traces request decoded. */
  decodedTraces(): OtlpTraces[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: HttpRequestSeen[] = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
    const json = String(req.headers["content-type"]).includes("json");
    res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
    res.end(json ? "{}" : Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    decoded: () =>
      requests
        .filter((r) => r.path === "/v1/metrics")
        .map((r) =>
          String(r.headers["content-type"]).includes("json")
            ? otlpJsonToMetrics(JSON.parse(r.body.toString("utf8")))
            : decodeOtlpMetricsProtobuf(r.body),
        ),
    decodedLogs: () =>
      requests
        .filter((r) => r.path === "/v1/logs")
        .map((r) => (String(r.headers["content-type"]).includes("json") ? otlpJsonToLogs(JSON.parse(r.body.toString("utf8"))) : decodeOtlpLogsProtobuf(r.body))),
    decodedTraces: () =>
      requests
        .filter((r) => r.path === "/v1/traces")
        .map((r) => (String(r.headers["content-type"]).includes("json") ? otlpJsonToTraces(JSON.parse(r.body.toString("utf8"))) : decodeOtlpTracesProtobuf(r.body))),
    close: () => closeServer(server),
  };
}

/** A server that accepts connections and requests and never answers: the worst collector. */
export async function startHangingServer(): Promise<{ port: number; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    hits++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits: () => hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface AzureEnvelope {
  name: string;
  iKey: string;
  time: string;
  data: { baseType: string; baseData: { name?: string; metrics?: { name: string; value: number; count?: number }[]; properties?: Record<string, string> } };
}

export interface AzureIngestion {
  port: number;
  /** The CA file a client must trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  connectionString: string;
  requests: HttpRequestSeen[];
  envelopes(): AzureEnvelope[];
  close(): Promise<void>;
}

/** True when the openssl command line is available to make a throw-away certificate. */
export function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * An Application Insights ingestion endpoint on 127.0.0.1 over HTTPS (the exporter upgrades an
 * http:// IngestionEndpoint to https), answering like Breeze: 200 with itemsAccepted.
 */
export async function startAzureIngestion(): Promise<AzureIngestion> {
  const dir = mkdtempSync(join(tmpdir(), "monitorlift-ai-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const requests: HttpRequestSeen[] = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, async (req, res) => {
    const raw = await readBody(req);
    const body = req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(raw) : raw;
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
    let count = 0;
    try {
      const parsed = JSON.parse(body.toString("utf8")) as unknown;
      count = Array.isArray(parsed) ? parsed.length : 1;
    } catch {
      count = body.toString("utf8").split("\n").filter(Boolean).length;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ itemsReceived: count, itemsAccepted: count, errors: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    caFile: cert,
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:${port}`,
    requests,
    envelopes: () =>
      requests
        .filter((r) => r.method === "POST" && r.path.includes("/track"))
        .flatMap((r) => {
          const text = r.body.toString("utf8").trim();
          return (text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((l) => JSON.parse(l))) as AzureEnvelope[];
        }),
    close: async () => {
      await closeServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    out.push({ name: m[1]!, labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
  }
  return out;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
