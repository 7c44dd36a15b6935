/**
 * A small decoder for OTLP metrics requests, written for the tests from the field numbers of
 * opentelemetry-proto (opentelemetry/proto/collector/metrics/v1/metrics_service.proto and
 * metrics/v1/metrics.proto, common/v1/common.proto). Protobuf and JSON requests are turned into
 * the same plain shape so one assertion checks both encodings.
 */

export interface OtlpPoint {
  attributes: Record<string, Plain>;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram points. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
}

export interface OtlpMetric {
  name: string;
  unit: string;
  kind: "sum" | "gauge" | "histogram" | "other";
  monotonic?: boolean;
  points: OtlpPoint[];
}

export interface OtlpMetrics {
  resource: Record<string, Plain>;
  scopes: string[];
  metrics: OtlpMetric[];
}

// ---- protobuf wire format ----

type Field = { wire: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer; fixed32?: Buffer };

function readVarint(buf: Buffer, pos: { at: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.at >= buf.length) throw new Error("protobuf: varint runs past the end");
    const b = buf[pos.at++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

/** The fields of one message, by field number, in order. */
export function decodeFields(buf: Buffer): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const number = tag >>> 3;
    const wire = tag & 7;
    let field: Field;
    if (wire === 0) field = { wire, varint: readVarint(buf, pos) };
    else if (wire === 1) {
      field = { wire, fixed64: buf.subarray(pos.at, pos.at + 8) };
      pos.at += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      field = { wire, bytes: buf.subarray(pos.at, pos.at + len) };
      pos.at += len;
    } else if (wire === 5) {
      field = { wire, fixed32: buf.subarray(pos.at, pos.at + 4) };
      pos.at += 4;
    } else throw new Error(`protobuf: unsupported wire type ${wire}`);
    if (pos.at > buf.length) throw new Error("protobuf: field runs past the end");
    const list = fields.get(number) ?? [];
    list.push(field);
    fields.set(number, list);
  }
  return fields;
}

const msgs = (f: Map<number, Field[]>, n: number) => (f.get(n) ?? []).map((x) => x.bytes!).filter(Boolean);
const str = (f: Map<number, Field[]>, n: number) => f.get(n)?.[0]?.bytes?.toString("utf8") ?? "";
const double = (x: Field | undefined) => (x?.fixed64 ? x.fixed64.readDoubleLE(0) : undefined);
const u64 = (x: Field | undefined) => (x?.fixed64 ? Number(x.fixed64.readBigUInt64LE(0)) : undefined);

function packedFixed64(f: Map<number, Field[]>, n: number, read: (b: Buffer, o: number) => number): number[] {
  const out: number[] = [];
  for (const x of f.get(n) ?? []) {
    if (x.bytes) for (let o = 0; o + 8 <= x.bytes.length; o += 8) out.push(read(x.bytes, o));
    else if (x.fixed64) out.push(read(x.fixed64, 0));
  }
  return out;
}

export type Plain = string | number | boolean | Plain[] | { [key: string]: Plain };

function anyValue(buf: Buffer): Plain {
  const f = decodeFields(buf);
  if (f.has(1)) return str(f, 1);
  if (f.has(2)) return f.get(2)![0]!.varint !== 0n;
  if (f.has(3)) return Number(BigInt.asIntN(64, f.get(3)![0]!.varint!));
  if (f.has(4)) return double(f.get(4)![0])!;
  if (f.has(5)) return msgs(decodeFields(f.get(5)![0]!.bytes!), 1).map(anyValue);
  if (f.has(6)) return keyValues(msgs(decodeFields(f.get(6)![0]!.bytes!), 1));
  return "";
}

function keyValues(list: Buffer[]): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  for (const kv of list) {
    const f = decodeFields(kv);
    out[str(f, 1)] = f.has(2) ? anyValue(f.get(2)![0]!.bytes!) : "";
  }
  return out;
}

function numberPoint(buf: Buffer): OtlpPoint {
  const f = decodeFields(buf);
  const asDouble = double(f.get(4)?.[0]);
  const asInt = f.get(6)?.[0]?.fixed64 ? Number(f.get(6)![0]!.fixed64!.readBigInt64LE(0)) : undefined;
  return { attributes: keyValues(msgs(f, 7)), value: asDouble ?? asInt ?? 0 };
}

function histogramPoint(buf: Buffer): OtlpPoint {
  const f = decodeFields(buf);
  return {
    attributes: keyValues(msgs(f, 9)),
    count: u64(f.get(4)?.[0]) ?? 0,
    sum: double(f.get(5)?.[0]) ?? 0,
    bucketCounts: packedFixed64(f, 6, (b, o) => Number(b.readBigUInt64LE(o))),
    bounds: packedFixed64(f, 7, (b, o) => b.readDoubleLE(o)),
  };
}

function metric(buf: Buffer): OtlpMetric {
  const f = decodeFields(buf);
  const base = { name: str(f, 1), unit: str(f, 3) };
  if (f.has(7)) {
    const sum = decodeFields(f.get(7)![0]!.bytes!);
    return { ...base, kind: "sum", monotonic: sum.get(3)?.[0]?.varint === 1n, points: msgs(sum, 1).map(numberPoint) };
  }
  if (f.has(5)) return { ...base, kind: "gauge", points: msgs(decodeFields(f.get(5)![0]!.bytes!), 1).map(numberPoint) };
  if (f.has(9)) return { ...base, kind: "histogram", points: msgs(decodeFields(f.get(9)![0]!.bytes!), 1).map(histogramPoint) };
  return { ...base, kind: "other", points: [] };
}

/** An ExportMetricsServiceRequest in protobuf. */
export function decodeOtlpMetricsProtobuf(body: Buffer): OtlpMetrics {
  const out: OtlpMetrics = { resource: {}, scopes: [], metrics: [] };
  for (const rm of msgs(decodeFields(body), 1)) {
    const r = decodeFields(rm);
    for (const res of msgs(r, 1)) Object.assign(out.resource, keyValues(msgs(decodeFields(res), 1)));
    for (const sm of msgs(r, 2)) {
      const s = decodeFields(sm);
      for (const scope of msgs(s, 1)) out.scopes.push(str(decodeFields(scope), 1));
      out.metrics.push(...msgs(s, 2).map(metric));
    }
  }
  return out;
}

export interface OtlpLogRecord {
  eventName: string;
  severityNumber: number;
  severityText: string;
  body: Plain;
  attributes: Record<string, Plain>;
}

export interface OtlpLogs {
  resource: Record<string, Plain>;
  records: OtlpLogRecord[];
}

/** An ExportLogsServiceRequest in protobuf (logs/v1/logs.proto). */
export function decodeOtlpLogsProtobuf(body: Buffer): OtlpLogs {
  const out: OtlpLogs = { resource: {}, records: [] };
  for (const rl of msgs(decodeFields(body), 1)) {
    const r = decodeFields(rl);
    for (const res of msgs(r, 1)) Object.assign(out.resource, keyValues(msgs(decodeFields(res), 1)));
    for (const sl of msgs(r, 2)) {
      for (const lr of msgs(decodeFields(sl), 2)) {
        const f = decodeFields(lr);
        out.records.push({
          eventName: str(f, 12),
          severityNumber: Number(f.get(2)?.[0]?.varint ?? 0n),
          severityText: str(f, 3),
          body: f.has(5) ? anyValue(f.get(5)![0]!.bytes!) : "",
          attributes: keyValues(msgs(f, 6)),
        });
      }
    }
  }
  return out;
}

// ---- JSON (the protobuf JSON mapping) ----

type JsonAny = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAny[] };
  kvlistValue?: { values?: JsonKv[] };
};
type JsonKv = { key: string; value?: JsonAny };

function jsonAny(v: JsonAny): Plain {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonAny);
  if (v.kvlistValue) return jsonAttributes(v.kvlistValue.values);
  return "";
}

function jsonAttributes(list: JsonKv[] | undefined): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  for (const kv of list ?? []) out[kv.key] = jsonAny(kv.value ?? {});
  return out;
}

/** An ExportLogsServiceRequest in the OTLP JSON encoding. */
export function otlpJsonToLogs(body: unknown): OtlpLogs {
  const out: OtlpLogs = { resource: {}, records: [] };
  type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const rl of ((body as J).resourceLogs ?? []) as J[]) {
    Object.assign(out.resource, jsonAttributes(rl.resource?.attributes));
    for (const sl of (rl.scopeLogs ?? []) as J[]) {
      for (const r of (sl.logRecords ?? []) as J[]) {
        out.records.push({
          eventName: r.eventName ?? "",
          severityNumber: Number(r.severityNumber ?? 0),
          severityText: r.severityText ?? "",
          body: jsonAny(r.body ?? {}),
          attributes: jsonAttributes(r.attributes),
        });
      }
    }
  }
  return out;
}

/** An ExportMetricsServiceRequest in the OTLP JSON encoding. */
export function otlpJsonToMetrics(body: unknown): OtlpMetrics {
  const out: OtlpMetrics = { resource: {}, scopes: [], metrics: [] };
  type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const rm of ((body as J).resourceMetrics ?? []) as J[]) {
    Object.assign(out.resource, jsonAttributes(rm.resource?.attributes));
    for (const sm of (rm.scopeMetrics ?? []) as J[]) {
      out.scopes.push(sm.scope?.name ?? "");
      for (const m of (sm.metrics ?? []) as J[]) {
        const base = { name: m.name as string, unit: (m.unit ?? "") as string };
        const num = (p: J): OtlpPoint => ({ attributes: jsonAttributes(p.attributes), value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : 0) });
        if (m.sum) out.metrics.push({ ...base, kind: "sum", monotonic: Boolean(m.sum.isMonotonic), points: (m.sum.dataPoints ?? []).map(num) });
        else if (m.gauge) out.metrics.push({ ...base, kind: "gauge", points: (m.gauge.dataPoints ?? []).map(num) });
        else if (m.histogram) {
          out.metrics.push({
            ...base,
            kind: "histogram",
            points: (m.histogram.dataPoints ?? []).map((p: J) => ({
              attributes: jsonAttributes(p.attributes),
              count: Number(p.count ?? 0),
              sum: Number(p.sum ?? 0),
              bucketCounts: (p.bucketCounts ?? []).map(Number),
              bounds: p.explicitBounds ?? [],
            })),
          });
        } else out.metrics.push({ ...base, kind: "other", points: [] });
      }
    }
  }
  return out;
}

/** The point of `name` whose attributes include `match`, across decoded requests (the last one wins). */
export function findPoint(requests: OtlpMetrics[], name: string, match: Record<string, string | number> = {}): OtlpPoint | undefined {
  let found: OtlpPoint | undefined;
  for (const r of requests) {
    for (const m of r.metrics) {
      if (m.name !== name) continue;
      for (const p of m.points) if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) found = p;
    }
  }
  return found;
}

// ---- traces (trace/v1/trace.proto, collector/trace/v1/trace_service.proto) ----

export interface OtlpSpan {
  /** Hex, as in traceparent. */
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, Plain>;
  events: { name: string; attributes: Record<string, Plain> }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export interface OtlpTraces {
  resource: Record<string, Plain>;
  spans: OtlpSpan[];
}

/** An ExportTraceServiceRequest in protobuf. */
export function decodeOtlpTracesProtobuf(body: Buffer): OtlpTraces {
  const out: OtlpTraces = { resource: {}, spans: [] };
  const hex = (f: Map<number, Field[]>, n: number) => f.get(n)?.[0]?.bytes?.toString("hex") ?? "";
  for (const rs of msgs(decodeFields(body), 1)) {
    const r = decodeFields(rs);
    for (const res of msgs(r, 1)) Object.assign(out.resource, keyValues(msgs(decodeFields(res), 1)));
    for (const ss of msgs(r, 2)) {
      for (const sp of msgs(decodeFields(ss), 2)) {
        const f = decodeFields(sp);
        const status = f.has(15) ? decodeFields(f.get(15)![0]!.bytes!) : new Map<number, Field[]>();
        out.spans.push({
          traceId: hex(f, 1),
          spanId: hex(f, 2),
          parentSpanId: hex(f, 4),
          name: str(f, 5),
          kind: Number(f.get(6)?.[0]?.varint ?? 0n),
          startNs: f.get(7)?.[0]?.fixed64?.readBigUInt64LE(0) ?? 0n,
          endNs: f.get(8)?.[0]?.fixed64?.readBigUInt64LE(0) ?? 0n,
          attributes: keyValues(msgs(f, 9)),
          events: msgs(f, 11).map((e) => {
            const ef = decodeFields(e);
            return { name: str(ef, 2), attributes: keyValues(msgs(ef, 3)) };
          }),
          statusCode: Number(status.get(3)?.[0]?.varint ?? 0n),
          statusMessage: str(status, 2),
        });
      }
    }
  }
  return out;
}

/** An ExportTraceServiceRequest in the OTLP JSON encoding (ids in hex). */
export function otlpJsonToTraces(body: unknown): OtlpTraces {
  const out: OtlpTraces = { resource: {}, spans: [] };
  type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const rs of ((body as J).resourceSpans ?? []) as J[]) {
    Object.assign(out.resource, jsonAttributes(rs.resource?.attributes));
    for (const ss of (rs.scopeSpans ?? []) as J[]) {
      for (const s of (ss.spans ?? []) as J[]) {
        out.spans.push({
          traceId: String(s.traceId ?? "").toLowerCase(),
          spanId: String(s.spanId ?? "").toLowerCase(),
          parentSpanId: String(s.parentSpanId ?? "").toLowerCase(),
          name: s.name ?? "",
          kind: Number(s.kind ?? 0),
          startNs: BigInt(s.startTimeUnixNano ?? 0),
          endNs: BigInt(s.endTimeUnixNano ?? 0),
          attributes: jsonAttributes(s.attributes),
          events: ((s.events ?? []) as J[]).map((e) => ({ name: e.name ?? "", attributes: jsonAttributes(e.attributes) })),
          statusCode: Number(s.status?.code ?? 0),
          statusMessage: s.status?.message ?? "",
        });
      }
    }
  }
  return out;
}
