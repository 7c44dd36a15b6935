/**
 * `monitorlift validate --connect` with the blob sink, through the real CLI against Azurite:
 * it checks that the container exists (or creates it when createContainer is set) and that the
 * identity can write there, and says what to do when not — without leaving anything behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ContainerSASPermissions } from "@azure/storage-blob";
import { startAzurite, type Azurite } from "./support/azurite.ts";
import { blobSink, containerOf, envOf } from "./support/blob-e2e.ts";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";

let azurite: Azurite;
let h: Harness;
before(async () => {
  azurite = await startAzurite();
  // The query is disabled so that only the sink is checked: these tests are about the blob sink's part
  // of validate --connect (the queries' part has tests of its own).
  h = await startHarness({
    sim: { seed: 55, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: { queries: [{ name: "requests", table: "AppRequests", enabled: false }] },
  });
});
after(async () => {
  await h?.close();
  await azurite?.stop();
});

async function validate(sink: Record<string, unknown>, env: Record<string, string> = envOf(azurite)) {
  await h.writeConfig({ sink });
  const r = await runCli(["validate", "--connect", "--config", h.configPath], { env, timeoutMs: 30_000 });
  return { ...r, output: r.stdout + r.stderr };
}

async function blobNames(container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of containerOf(azurite, container).listBlobsFlat()) names.push(b.name);
  return names;
}

test("an existing container the identity can write to: exit 0, 'sink: writable', nothing left behind", async () => {
  await containerOf(azurite, "existing").create();
  const r = await validate(blobSink("existing", { createContainer: false }));
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /^sink: writable$/m);
  assert.match(r.stdout, /blob http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/existing\/telemetry\//);
  assert.deepEqual(await blobNames("existing"), [], "the probe blob was deleted");
});

test("a missing container without createContainer: exit 1, names the container and says how to fix it", async () => {
  const r = await validate(blobSink("missing", { createContainer: false }));
  assert.equal(r.code, 1, r.output);
  assert.match(r.stdout, /^sink: error \[SINK_WRITE\]: .*the container http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/missing does not exist/m);
  assert.match(r.stdout, /Create the container, or set createContainer: true/);
  assert.equal(await containerOf(azurite, "missing").exists(), false, "validate did not create it");
});

test("a missing container with createContainer: exit 0, and the container now exists", async () => {
  assert.equal(await containerOf(azurite, "created").exists(), false);
  const r = await validate(blobSink("created", { createContainer: true }));
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /^sink: writable$/m);
  assert.equal(await containerOf(azurite, "created").exists(), true);
  assert.deepEqual(await blobNames("created"), []);
});

/** A SAS token scoped to one container, and its signature (a secret that must never be printed). */
async function containerSas(name: string, permissions: string): Promise<{ token: string; sig: string }> {
  const container = containerOf(azurite, name);
  await container.createIfNotExists();
  const url = await container.generateSasUrl({ permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3600_000) });
  const token = url.slice(url.indexOf("?") + 1);
  return { token, sig: decodeURIComponent(/(?:^|&)sig=([^&]+)/.exec(token)![1]!) };
}

const sasSink = (container: string) => ({ type: "blob", accountUrl: azurite.accountUrl, container, prefix: "telemetry/", auth: { method: "sas", env: "MY_SAS" } });

test("a container-scoped SAS with the documented permissions (racwdl) is writable", async () => {
  const { token } = await containerSas("scoped", "racwdl");
  const r = await validate(sasSink("scoped"), { MY_SAS: token });
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /^sink: writable$/m);
  assert.deepEqual(await blobNames("scoped"), []);
});

test("an identity that can only read: exit 1 with the role hint, and the SAS token is never printed", async () => {
  const { token, sig } = await containerSas("readonly", "rl");
  const r = await validate(sasSink("readonly"), { MY_SAS: token });
  assert.equal(r.code, 1, r.output);
  assert.match(r.stdout, /^sink: error \[SINK_WRITE\]: Writing, deleting and listing the probe blob telemetry\/_probe\/\S+ was refused by http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/readonly \(HTTP 403/m);
  assert.match(r.stdout, /Storage Blob Data Contributor/);
  assert.ok(!r.output.includes(token) && !r.output.includes(sig) && !r.output.includes(encodeURIComponent(sig)), "no secret in the output");
  assert.deepEqual(await blobNames("readonly"), []);
});
