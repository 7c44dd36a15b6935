/**
 * The deployment recipes in deploy/ and the Dockerfile agree with each other and with the code: the same
 * image, the same config path, the same identity, every ${env:NAME} the config needs is provided, the
 * shipped config passes the real config loader, and the Kubernetes / Bicep / systemd files have the
 * shape their platform needs (never two runs at once, non-root, the two role assignments).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../src/config/load.ts";
import { VERSION } from "../src/version.ts";
import { bicepProblems, dockerfileStages, envNamesWithoutDefault, iniSections } from "./support/deploy-files.ts";

const ROOT = join(import.meta.dirname, "..");
const DEPLOY = join(ROOT, "deploy");
const CONFIG_PATH = "/config/monitorlift.json";
const IMAGE = `monitorlift:${VERSION}`;
const LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893";
const STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

type Manifest = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: any };

async function kubernetesManifests(): Promise<Manifest[]> {
  const dir = join(DEPLOY, "kubernetes");
  const out: Manifest[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), "utf8"))) {
      assert.deepEqual(doc.errors, [], `${file} parses as YAML`);
      out.push(doc.toJSON() as Manifest);
    }
  }
  return out;
}

const sharedConfigText = () => readFile(join(DEPLOY, "monitorlift.json"), "utf8");

test("the shipped deployment config is valid for the real config loader", async () => {
  const env = {
    MONITORLIFT_WORKSPACE_ID: "11111111-2222-3333-4444-555555555555",
    MONITORLIFT_STORAGE_ACCOUNT_URL: "https://account.blob.core.windows.net",
  };
  const result = await loadConfig(join(DEPLOY, "monitorlift.json"), env);
  assert.deepEqual(result.errors, [], "no config problems");
  assert.ok(result.config, "a resolved config");
});

test("Kubernetes: a CronJob that never overlaps, with workload identity, the image and the config path", async () => {
  const manifests = await kubernetesManifests();
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const [cron] = byKind("CronJob");
  assert.ok(cron, "a CronJob");
  assert.equal(cron.apiVersion, "batch/v1");
  assert.equal(cron.spec.concurrencyPolicy, "Forbid");
  const job = cron.spec.jobTemplate.spec;
  assert.ok(Number.isInteger(job.backoffLimit) && job.backoffLimit >= 0, "backoffLimit set");
  const pod = job.template;
  assert.equal(pod.metadata.labels["azure.workload.identity/use"], "true");
  assert.equal(pod.spec.restartPolicy, "Never");
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);

  const [sa] = byKind("ServiceAccount");
  assert.equal(pod.spec.serviceAccountName, sa!.metadata.name);
  assert.match(sa!.metadata.annotations?.["azure.workload.identity/client-id"] ?? "", /^[0-9a-f-]{36}$/);

  const [container] = pod.spec.containers;
  assert.equal(container.image, IMAGE, "the image tag follows package.json");
  assert.deepEqual(container.args, ["export", "--once"]);
  const envVar = container.env.find((e: { name: string }) => e.name === "MONITORLIFT_CONFIG");
  assert.equal(envVar?.value, CONFIG_PATH);
  const mount = container.volumeMounts.find((m: { mountPath: string }) => CONFIG_PATH.startsWith(`${m.mountPath}/`));
  assert.ok(mount, "the config folder is mounted");
  const volume = pod.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  const [configMap] = byKind("ConfigMap");
  assert.equal(volume.configMap.name, configMap!.metadata.name);
  const key = CONFIG_PATH.slice(mount.mountPath.length + 1);
  const { $schema: _ignored, ...shared } = JSON.parse(await sharedConfigText()) as Record<string, unknown>;
  assert.deepEqual(JSON.parse(configMap!.data[key]), shared, "the ConfigMap holds deploy/monitorlift.json");

  const [secret] = byKind("Secret");
  assert.ok(container.envFrom.some((e: { secretRef?: { name: string } }) => e.secretRef?.name === secret!.metadata.name));
  for (const name of envNamesWithoutDefault(await sharedConfigText())) {
    assert.ok(name in secret!.stringData, `the Secret provides ${name}`);
  }
  for (const m of manifests) if (m.kind !== "Namespace") assert.equal(m.metadata.namespace, "monitorlift", `${m.kind} in the namespace`);
});

test("Azure Container Apps: a scheduled job with a user-assigned identity and exactly the two role assignments", async () => {
  const bicep = await readFile(join(DEPLOY, "azure-container-apps", "main.bicep"), "utf8");
  assert.deepEqual(bicepProblems(bicep), [], "balanced braces, brackets and quotes");
  assert.match(bicep, /resource job 'Microsoft\.App\/jobs@[\d-]+(-preview)?' = \{/);
  assert.match(bicep, /triggerType: 'Schedule'/);
  assert.match(bicep, /scheduleTriggerConfig: \{\s*cronExpression: cronExpression\s*parallelism: 1/);
  assert.match(bicep, /type: 'UserAssigned'\s*userAssignedIdentities: \{\s*'\$\{identity\.id\}': \{\}/);
  assert.match(bicep, new RegExp(`param image string = '${IMAGE.replace(/\./g, "\\.")}'`), "the image tag follows package.json");
  const assignments = [...bicep.matchAll(/resource \w+ 'Microsoft\.Authorization\/roleAssignments@[\d-]+' = \{([\s\S]*?)\n\}/g)].map((m) => m[1]!);
  assert.equal(assignments.length, 2);
  const roleOf = (body: string) => {
    const variable = /roleDefinitions', (\w+)\)/.exec(body)?.[1];
    return new RegExp(`var ${variable} = '([0-9a-f-]+)'`).exec(bicep)?.[1];
  };
  const scopes = Object.fromEntries(assignments.map((body) => [roleOf(body), /scope: (\w+)/.exec(body)?.[1]]));
  assert.deepEqual(scopes, { [LOG_ANALYTICS_READER]: "workspace", [STORAGE_BLOB_DATA_CONTRIBUTOR]: "container" });
  for (const body of assignments) assert.match(body, /principalId: identity\.properties\.principalId/);
  assert.match(bicep, new RegExp(`name: 'MONITORLIFT_CONFIG'\\s*value: '${CONFIG_PATH}'`));
  const mountPath = /mountPath: '([^']+)'/.exec(bicep)?.[1];
  const secretPath = /secretRef: 'monitorlift-config'\s*path: '([^']+)'/.exec(bicep)?.[1];
  assert.equal(`${mountPath}/${secretPath}`, CONFIG_PATH);
  assert.match(bicep, /name: 'AZURE_CLIENT_ID'\s*value: identity\.properties\.clientId/);
  for (const name of envNamesWithoutDefault(await sharedConfigText())) {
    assert.match(bicep, new RegExp(`name: '${name}'`), `the job sets ${name}`);
  }
});

test("systemd: a oneshot service on a timer, the config path in its environment, every variable in the example", async () => {
  const service = iniSections(await readFile(join(DEPLOY, "systemd", "monitorlift.service"), "utf8"));
  const timer = iniSections(await readFile(join(DEPLOY, "systemd", "monitorlift.timer"), "utf8"));
  assert.equal(service.Service?.Type?.[0], "oneshot");
  assert.ok(service.Service?.Environment?.includes(`MONITORLIFT_CONFIG=/etc/monitorlift/monitorlift.json`));
  assert.match(service.Service?.ExecStart?.[0] ?? "", /\/bin\/monitorlift\.js export --once$/);
  assert.ok(service.Service?.User?.[0] && service.Service.User[0] !== "root", "not root");
  assert.equal(timer.Timer?.Unit?.[0], "monitorlift.service");
  assert.ok(timer.Timer?.OnCalendar?.[0]);
  assert.equal(timer.Install?.WantedBy?.[0], "timers.target");
  const example = await readFile(join(DEPLOY, "systemd", "monitorlift.env.example"), "utf8");
  for (const name of envNamesWithoutDefault(await sharedConfigText())) assert.match(example, new RegExp(`^${name}=`, "m"));
});

test("Dockerfile: multi-stage, production dependencies only, non-root, the config path every recipe uses, no secret", async () => {
  const stages = dockerfileStages(await readFile(join(ROOT, "Dockerfile"), "utf8"));
  assert.ok(stages.length >= 2, "multi-stage");
  const final = stages.at(-1)!;
  const instr = (name: string) => final.instructions.filter((i) => i.name === name).map((i) => i.args);
  assert.deepEqual(instr("USER"), ["node"]);
  assert.ok(instr("ENV").some((a) => a.includes(`MONITORLIFT_CONFIG=${CONFIG_PATH}`)));
  assert.deepEqual(JSON.parse(instr("ENTRYPOINT")[0]!), ["node", "/app/bin/monitorlift.js"]);
  assert.deepEqual(JSON.parse(instr("CMD")[0]!), ["export"], "no --config in CMD: `docker run IMAGE export --once` keeps the config");
  const install = stages.flatMap((s) => s.instructions).filter((i) => i.name === "RUN" && /npm ci/.test(i.args));
  assert.ok(install.length === 1 && /--omit=dev/.test(install[0]!.args), "production dependencies only");
  for (const s of stages) {
    for (const i of s.instructions) {
      if (i.name === "ENV" || i.name === "ARG") assert.doesNotMatch(i.args, /PASSWORD|SECRET|CONNECTION_STRING|SAS_TOKEN|ACCOUNT_KEY/i, "no secret baked in");
    }
  }
  const ignore = await readFile(join(ROOT, ".dockerignore"), "utf8");
  for (const pattern of ["test", "**/*.test.ts", "node_modules", ".git"]) assert.match(ignore, new RegExp(`^${pattern.replace(/[.*]/g, "\\$&")}$`, "m"));
});
