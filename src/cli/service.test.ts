/** Long-running mode settings (flags over the config) and the shutdown grace that abandons a stuck window. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { serviceSettings, startService } from "./service.ts";
import { SignalStop } from "./signals.ts";

test("flags override the config; health is off unless a port is given; malformed flags are usage errors", () => {
  assert.deepEqual(serviceSettings({}, { shutdownGraceMs: 25_000 }), { graceMs: 25_000 });
  assert.deepEqual(serviceSettings({ healthPort: "8080", shutdownGrace: "PT5S" }, { shutdownGraceMs: 25_000 }), { health: { host: "127.0.0.1", port: 8080 }, graceMs: 5000 });
  assert.deepEqual(serviceSettings({ healthHost: "0.0.0.0" }, { health: { host: "127.0.0.1", port: 9000 }, shutdownGraceMs: 0 }), { health: { host: "0.0.0.0", port: 9000 }, graceMs: 0 });
  assert.deepEqual(serviceSettings({ shutdownGrace: "0" }, { shutdownGraceMs: 25_000 }).graceMs, 0);
  assert.throws(() => serviceSettings({ healthPort: "70000" }, { shutdownGraceMs: 0 }), UsageError);
  assert.throws(() => serviceSettings({ healthPort: "-1" }, { shutdownGraceMs: 0 }), UsageError);
  assert.throws(() => serviceSettings({ shutdownGrace: "30s" }, { shutdownGraceMs: 0 }), UsageError);
  assert.throws(() => serviceSettings({ healthHost: "0.0.0.0" }, { shutdownGraceMs: 0 }), /needs a health port/);
});

test("after SIGTERM, a run that outlives the grace is abandoned with exit 0 (SIGINT too); readiness says stopping", { timeout: 10_000 }, async () => {
  const controller = new AbortController();
  const exits: number[] = [];
  const svc = await startService({ graceMs: 100 }, silentLogger(), controller.signal, { exit: (code) => void exits.push(code) });
  const stuck = svc.track(() => new Promise<{ errors: Map<string, unknown> }>(() => {})); // a window that never ends
  void stuck;
  controller.abort(new SignalStop("SIGTERM"));
  assert.deepEqual(svc.state.readiness().body.reasons, ["stopping"]);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(exits, [], "not before the grace");
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(exits, [0]);
  await svc.close();

  const interrupted = new AbortController();
  const exits2: number[] = [];
  const svc2 = await startService({ graceMs: 50 }, silentLogger(), interrupted.signal, { exit: (code) => void exits2.push(code) });
  void svc2.track(() => new Promise<{ errors: Map<string, unknown> }>(() => {}));
  interrupted.abort(new SignalStop("SIGINT"));
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(exits2, [0]);
  await svc2.close();
});

test("a run that ends within the grace: close() disarms the timer, nothing exits", { timeout: 10_000 }, async () => {
  const controller = new AbortController();
  const exits: number[] = [];
  const svc = await startService({ graceMs: 100 }, silentLogger(), controller.signal, { exit: (code) => void exits.push(code) });
  controller.abort();
  await svc.track(async () => ({ errors: new Map() }));
  await svc.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(exits, []);
});
