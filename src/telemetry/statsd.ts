/**
 * The StatsD backend: hot-shots formats the lines (prefix, DogStatsD or Telegraf tags) and writes
 * them into a LineQueue, which owns the socket. The export never waits for StatsD.
 *
 * Rules
 *  - Asynchronous: a metric call only appends a line to a bounded in-memory queue and returns.
 *  - TCP: lines are kept while the agent is unreachable and sent in order once a connection is
 *    back (reconnect with backoff, 100 ms doubling to 5 s); when the queue is full the newest line
 *    is dropped and counted (monitorlift.telemetry.statsd.dropped, and a warning at shutdown). A
 *    line written just before a connection breaks may be lost: TCP StatsD has no acknowledgement.
 *  - UDP: each line is one datagram, sent as soon as it is queued; a send error drops and counts it.
 *  - No socket exists before the first line; background timers and sockets do not keep the process
 *    alive; flush() waits (bounded by the facade) until the queue is empty and written.
 *  - Tags: with STATSD_TAG_FORMAT=dogstatsd or telegraf they are sent as tags; otherwise their
 *    values are folded into the path in the catalogue's attribute order
 *    (monitorlift.rows.exported.<query>.<sink>.<format>.<outcome>[.<code>]).
 */
import dgram from "node:dgram";
import net from "node:net";
import { Writable } from "node:stream";
import { StatsD } from "hot-shots";
import { INSTRUMENTS, type Attributes, type GaugeReading, type InstrumentKey, type MetricsBackend } from "./metrics.ts";
import type { StatsdSettings } from "./settings.ts";

export class LineQueue extends Writable {
  private readonly lines: string[] = [];
  private head = 0;
  private dropped = 0;
  private socket: net.Socket | undefined;
  private udp: dgram.Socket | undefined;
  private connected = false;
  private writing = false;
  private inFlight = 0;
  private retryMs = 100;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idle = new Set<() => void>();

  private readonly target: Pick<StatsdSettings, "host" | "port" | "protocol" | "queueSize">;

  constructor(target: Pick<StatsdSettings, "host" | "port" | "protocol" | "queueSize">) {
    super({ decodeStrings: false });
    this.target = target;
  }

  get droppedLines(): number {
    return this.dropped;
  }

  get queuedLines(): number {
    return this.lines.length - this.head;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.push(String(chunk));
    callback();
  }

  /** Appends lines (one metric each, "\n"-terminated or not) and starts sending. Never blocks. */
  push(text: string): void {
    if (this.stopped) return;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (this.queuedLines >= this.target.queueSize) this.dropped++;
      else this.lines.push(line);
    }
    this.pump();
  }

  /** Resolves when every queued line was handed to the OS (or immediately when stopped). */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    // someone is waiting: try to reconnect now rather than at the end of the backoff
    if (!this.socket && this.reconnect) {
      clearTimeout(this.reconnect);
      this.reconnect = undefined;
      this.pump();
    }
    return new Promise((resolve) => this.idle.add(resolve));
  }

  /** Closes the socket and forgets the queue; what is left is counted as dropped. */
  stop(): void {
    this.stopped = true;
    this.dropped += this.queuedLines;
    this.lines.length = 0;
    this.head = 0;
    clearTimeout(this.reconnect);
    this.socket?.destroy();
    this.udp?.close();
    this.socket = undefined;
    this.udp = undefined;
    this.settleIdle();
  }

  private isIdle(): boolean {
    return this.stopped || (this.queuedLines === 0 && this.inFlight === 0 && !(this.socket?.writableLength ?? 0));
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  private take(): string | undefined {
    if (this.head >= this.lines.length) return undefined;
    const line = this.lines[this.head++];
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    return line;
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.target.protocol === "udp") this.pumpUdp();
    else this.pumpTcp();
  }

  private pumpUdp(): void {
    if (!this.udp) {
      this.udp = dgram.createSocket(net.isIPv6(this.target.host) ? "udp6" : "udp4");
      this.udp.on("error", () => {});
      this.udp.unref();
    }
    for (let line = this.take(); line !== undefined; line = this.take()) {
      this.inFlight++;
      this.udp.send(line, this.target.port, this.target.host, (err) => {
        this.inFlight--;
        if (err) this.dropped++;
        this.settleIdle();
      });
    }
  }

  private pumpTcp(): void {
    if (!this.socket) {
      this.connect();
      return;
    }
    if (!this.connected || this.writing) return;
    this.writing = true;
    try {
      for (let line = this.take(); line !== undefined; line = this.take()) {
        if (!this.socket.write(`${line}\n`)) {
          this.socket.once("drain", () => {
            this.writing = false;
            this.pump();
          });
          return;
        }
      }
      this.writing = false;
      // writableLength reaches 0 once the OS took the bytes
      if (this.socket.writableLength === 0) this.settleIdle();
      else this.socket.once("drain", () => this.settleIdle());
    } catch {
      this.writing = false;
    }
  }

  private connect(): void {
    const socket = net.createConnection({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.on("connect", () => {
      this.connected = true;
      this.retryMs = 100;
      this.pump();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.writing = false;
      if (this.stopped) return;
      this.reconnect = setTimeout(() => this.pump(), this.retryMs);
      this.reconnect.unref();
      this.retryMs = Math.min(this.retryMs * 2, 5_000);
    });
    // the agent closing its side: stop writing into a half-closed socket
    socket.on("end", () => socket.destroy());
  }
}

export class StatsdBackend implements MetricsBackend {
  readonly name = "statsd";
  readonly queue: LineQueue;
  private readonly client: StatsD;

  private readonly settings: StatsdSettings;

  constructor(settings: StatsdSettings) {
    this.settings = settings;
    this.queue = new LineQueue(settings);
    this.client = new StatsD({
      protocol: "stream",
      stream: this.queue,
      prefix: settings.prefix,
      telegraf: settings.tagFormat === "telegraf",
      maxBufferSize: 0,
      // no DD_ENV/DD_SERVICE… tags injected from the environment: the lines carry only our own
      includeDataDogTags: false,
      errorHandler: () => {},
    });
  }

  add(key: InstrumentKey, value: number, attributes: Attributes): void {
    const [stat, tags] = this.name_(key, attributes);
    this.client.increment(stat, value, tags);
  }

  record(key: InstrumentKey, value: number, attributes: Attributes): void {
    const spec = INSTRUMENTS[key];
    const [stat, tags] = this.name_(key, attributes);
    if (spec.statsd === "ms") this.client.timing(stat, spec.unit === "s" ? value * 1000 : value, tags);
    else if (spec.statsd === "h" && this.settings.tagFormat !== "none") this.client.histogram(stat, value, tags);
    // plain StatsD has no histogram type: a timer is its one distribution
    else this.client.timing(stat, value, tags);
  }

  gaugesChanged(readings: readonly GaugeReading[]): void {
    for (const r of readings) {
      const [stat, tags] = this.name_(r.key, r.attributes);
      this.client.gauge(stat, Math.round(r.value * 1000) / 1000, tags);
    }
  }

  /** Waits until the queue is written, then reports the lines dropped so far (once the queue has room). */
  async flush(): Promise<void> {
    await this.queue.drained();
    const dropped = this.queue.droppedLines - this.reportedDrops;
    if (dropped > 0) {
      this.reportedDrops += dropped;
      this.client.increment(INSTRUMENTS.statsdDropped.name, dropped);
      await this.queue.drained();
    }
  }

  async shutdown(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.queue.stop();
    }
  }

  /** The bound passed while the agent was unreachable: close the socket, count what is left as dropped. */
  abandon(): void {
    this.queue.stop();
  }

  private reportedDrops = 0;

  /** The stat name and tags: tags kept as tags, or their values folded into the path. */
  private name_(key: InstrumentKey, attributes: Attributes): [string, Record<string, string> | undefined] {
    const spec = INSTRUMENTS[key];
    if (this.settings.tagFormat !== "none") {
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(attributes)) tags[k] = String(v);
      return [spec.name, Object.keys(tags).length > 0 ? tags : undefined];
    }
    const parts: string[] = [spec.name];
    for (const attr of spec.attributes) {
      const v = attributes[attr];
      if (v !== undefined) parts.push(pathSegment(String(v)));
    }
    return [parts.join("."), undefined];
  }
}

/** A value usable as one dot-separated path segment (Graphite-safe). */
export function pathSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}
