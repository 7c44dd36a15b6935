import { test } from "node:test";
import assert from "node:assert/strict";
import type { SourceAuth } from "../config/types.ts";
import { identityKey, limitsByIdentity } from "./identity.ts";

const T = "contoso.onmicrosoft.com";
const C1 = "11111111-2222-3333-4444-555555555555";
const C2 = "66666666-2222-3333-4444-555555555555";
const API = "https://api.loganalytics.azure.com/v1";

const key = (auth: SourceAuth, endpoint = API) => identityKey({ auth, endpoint });

test("client secret: one identity per authority, tenant and client, whatever the secret, endpoint or case", () => {
  const a = key({ method: "clientSecret", tenantId: T, clientId: C1, secretEnv: "SECRET_A" });
  assert.equal(key({ method: "clientSecret", tenantId: T.toUpperCase(), clientId: C1.toUpperCase(), secretEnv: "SECRET_B" }, "https://api.loganalytics.io/v1"), a);
  assert.equal(key({ method: "clientSecret", tenantId: T, clientId: C1, secretEnv: "S", authorityHost: "https://login.microsoftonline.com/" }), a);
  assert.notEqual(key({ method: "clientSecret", tenantId: T, clientId: C2, secretEnv: "SECRET_A" }), a, "another client");
  assert.notEqual(key({ method: "clientSecret", tenantId: "fabrikam.onmicrosoft.com", clientId: C1, secretEnv: "SECRET_A" }), a, "another tenant");
  assert.notEqual(key({ method: "clientSecret", tenantId: T, clientId: C1, secretEnv: "SECRET_A", authorityHost: "https://login.chinacloudapi.cn" }), a, "another cloud");
});

test("managed identity: the user-assigned client ID, or the host's system-assigned identity", () => {
  assert.equal(key({ method: "managedIdentity", clientId: C1 }), key({ method: "managedIdentity", clientId: C1.toUpperCase() }));
  assert.notEqual(key({ method: "managedIdentity", clientId: C1 }), key({ method: "managedIdentity", clientId: C2 }));
  assert.equal(key({ method: "managedIdentity" }), key({ method: "managedIdentity" }, "https://api.loganalytics.io/v1"));
  assert.notEqual(key({ method: "managedIdentity" }), key({ method: "managedIdentity", clientId: C1 }));
});

test("default credential: one identity per process and authority; methods never mix", () => {
  assert.equal(key({ method: "default" }), key({ method: "default" }, "https://api.loganalytics.io/v1"));
  assert.notEqual(key({ method: "default" }), key({ method: "default", authorityHost: "https://login.microsoftonline.us" }));
  const all = [
    key({ method: "default" }),
    key({ method: "managedIdentity" }),
    key({ method: "managedIdentity", clientId: C1 }),
    key({ method: "clientSecret", tenantId: T, clientId: C1, secretEnv: "S" }),
    key({ method: "none" }, "http://127.0.0.1:1/v1"),
  ];
  assert.equal(new Set(all).size, all.length);
});

test("no auth (the simulator): one identity per endpoint origin", () => {
  assert.equal(key({ method: "none" }, "http://127.0.0.1:8080/v1"), key({ method: "none" }, "http://127.0.0.1:8080/other"));
  assert.notEqual(key({ method: "none" }, "http://127.0.0.1:8080/v1"), key({ method: "none" }, "http://127.0.0.1:8081/v1"));
});

test("limits by identity: sources sharing one are grouped with the strictest limits, at most concurrency in flight", () => {
  const sp = { method: "clientSecret", tenantId: T, clientId: C1, secretEnv: "S" } as const;
  const groups = limitsByIdentity(
    {
      east: { auth: sp, endpoint: API, maxConcurrentRequests: 5, maxRequestsPer30s: 200 },
      mi: { auth: { method: "managedIdentity" }, endpoint: API, maxConcurrentRequests: 5, maxRequestsPer30s: 200 },
      west: { auth: { ...sp, secretEnv: "OTHER" }, endpoint: API, maxConcurrentRequests: 3, maxRequestsPer30s: 150 },
    },
    4,
  );
  assert.deepEqual(
    groups.map((g) => ({ sources: g.sources, maxConcurrent: g.maxConcurrent, maxPer30s: g.maxPer30s })),
    [
      { sources: ["east", "west"], maxConcurrent: 3, maxPer30s: 150 },
      { sources: ["mi"], maxConcurrent: 4, maxPer30s: 200 },
    ],
  );
});
