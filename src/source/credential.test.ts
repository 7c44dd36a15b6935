import { test } from "node:test";
import assert from "node:assert/strict";
import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError, type TokenCredential } from "@azure/identity";
import { SourceError } from "../errors.ts";
import { credentialDetail, describeIdentity, reportingCredential } from "./credential.ts";

const failing = (err: unknown): TokenCredential => ({ getToken: () => Promise.reject(err) });

test("describeIdentity names the method, tenant, client and the secret's variable, never a secret", () => {
  const env = { S: "the-secret-value" };
  assert.equal(
    describeIdentity({ method: "clientSecret", tenantId: "contoso.onmicrosoft.com", clientId: "c1", secretEnv: "S" }, env),
    "source.auth clientSecret (tenant contoso.onmicrosoft.com, client c1, secret from $S)",
  );
  assert.equal(describeIdentity({ method: "managedIdentity" }, {}), "source.auth managedIdentity (system-assigned)");
  assert.equal(describeIdentity({ method: "managedIdentity", clientId: "m1" }, {}), "source.auth managedIdentity (user-assigned, client m1)");
  assert.equal(
    describeIdentity({ method: "default" }, { AZURE_TENANT_ID: "t9", AZURE_CLIENT_ID: "c9", AZURE_CLIENT_SECRET: "s9" }),
    "source.auth default (DefaultAzureCredential, tenant t9 from $AZURE_TENANT_ID, client c9 from $AZURE_CLIENT_ID)",
  );
});

test("a failed token request becomes SOURCE_CREDENTIAL (category auth, not retryable) naming the identity", async () => {
  const cred = reportingCredential(failing(new AuthenticationError(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." })), "source.auth clientSecret (tenant t, client c, secret from $S)", "clientSecret", ["hunter2-secret"]);
  await assert.rejects(cred.getToken("scope/.default"), (err: unknown) => {
    assert.ok(err instanceof SourceError);
    assert.equal(err.code, "SOURCE_CREDENTIAL");
    assert.equal(err.category, "auth");
    assert.equal(err.retryable, false);
    assert.match(err.message, /^Could not get an access token for source\.auth clientSecret \(tenant t, client c, secret from \$S\): .*AADSTS7000215/);
    assert.match(err.hint ?? "", /tenantId and clientId/);
    return true;
  });
});

test("for DefaultAzureCredential each credential of the chain says why it failed; a secret quoted by a message is masked", () => {
  const chain = new AggregateAuthenticationError(
    [
      new CredentialUnavailableError("EnvironmentCredential is unavailable. No underlying credential could be used.\nTo troubleshoot, visit https://aka.ms/x."),
      new CredentialUnavailableError("ManagedIdentityCredential: no managed identity endpoint found."),
      new CredentialUnavailableError("AzureCliCredential: Azure CLI could not be found. Install it and run az login; secret hunter2-secret."),
    ],
    "ChainedTokenCredential authentication failed.",
  );
  const detail = credentialDetail(chain, ["hunter2-secret"]);
  assert.equal(
    detail,
    "(1) EnvironmentCredential is unavailable. No underlying credential could be used. (2) ManagedIdentityCredential: no managed identity endpoint found. (3) AzureCliCredential: Azure CLI could not be found. Install it and run az login; secret ***.",
  );
});

test("an aborted token request is passed through untouched: shutdown and deadlines are told apart by the caller", async () => {
  const controller = new AbortController();
  controller.abort();
  const original = new Error("aborted");
  const cred = reportingCredential(failing(original), "x", "default", []);
  await assert.rejects(cred.getToken("s", { abortSignal: controller.signal }), (err: unknown) => err === original);
});
