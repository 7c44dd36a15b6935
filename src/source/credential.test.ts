import { test } from "node:test";
import assert from "node:assert/strict";
import { AggregateAuthenticationError, AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError, type TokenCredential } from "@azure/identity";
import { SourceError } from "../errors.ts";
import { describeError } from "../cli/exit.ts";
import { credentialDetail, describeIdentity, envSecrets, isTokenUnavailable, reportingCredential } from "./credential.ts";

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

// What the identity library throws, as seen from its token flows (checked against test/support/entra-endpoint.ts):
// MSAL's error is rewrapped as AuthenticationRequiredError keeping only the message, not the HTTP status.
const msalError = (message: string) => new AuthenticationRequiredError({ scopes: ["s/.default"], message });
const UNAVAILABLE_503 = msalError("temporarily_unavailable: Error(s): Not Available - Description: AADSTS90033: A transient error has occurred. Please try again.");
const INVALID_CLIENT_400 = msalError("invalid_client: Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided.");
const IMDS_UNREACHABLE = new CredentialUnavailableError("ManagedIdentityCredential: Network unreachable. Message: network_error: See https://aka.ms/msal.js.errors#network_error for details");

test("a token service that is down or unreachable is SOURCE_TOKEN_UNAVAILABLE (transient, retried); a refusal stays SOURCE_CREDENTIAL (auth)", async () => {
  const outcome = async (err: unknown) => {
    const cred = reportingCredential(failing(err), "source.auth clientSecret (tenant t, client c, secret from $S)", "clientSecret", []);
    const thrown = await cred.getToken("s/.default").then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(thrown instanceof SourceError);
    return `${thrown.code} ${thrown.category} ${thrown.retryable}`;
  };
  const unavailable = "SOURCE_TOKEN_UNAVAILABLE transient true";
  const refused = "SOURCE_CREDENTIAL auth false";
  assert.equal(await outcome(UNAVAILABLE_503), unavailable, "503 temporarily_unavailable");
  assert.equal(await outcome(msalError("server_error: Error(s): 500")), unavailable);
  // MSAL replays a 5xx/429 answer for its Retry-After (60 s by default) instead of asking again
  assert.equal(await outcome(msalError(": AADSTS90033: A transient error has occurred. Please try again.")), unavailable, "replay without error codes");
  assert.equal(await outcome(msalError("90033: AADSTS90033: A transient error has occurred.")), unavailable, "replay with the AADSTS codes");
  assert.equal(await outcome(new AuthenticationError(503, { error: "server_error", error_description: "down" })), unavailable, "a status kept (IMDS) decides");
  assert.equal(await outcome(new AuthenticationError(429, { error: "throttled", error_description: "slow down" })), unavailable);
  assert.equal(await outcome(IMDS_UNREACHABLE), unavailable, "IMDS unreachable");
  assert.equal(await outcome(msalError("endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error for details")), unavailable, "the authority unreachable");
  assert.equal(await outcome(Object.assign(new Error("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) })), unavailable);
  assert.equal(await outcome(INVALID_CLIENT_400), refused, "400 invalid_client");
  assert.equal(await outcome(new AuthenticationError(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." })), refused);
  assert.equal(await outcome(new AuthenticationError(400, { error: "invalid_request", error_description: "AADSTS90002: Tenant not found." })), refused);
  // DefaultAzureCredential with nothing configured: every credential unavailable (IMDS too) is a refusal
  assert.equal(await outcome(new AggregateAuthenticationError([new CredentialUnavailableError("EnvironmentCredential is unavailable."), IMDS_UNREACHABLE], "chain failed")), refused);
  // ... but a credential of the chain that was configured and met a token service down is not
  assert.equal(await outcome(new AggregateAuthenticationError([UNAVAILABLE_503, IMDS_UNREACHABLE], "chain failed")), unavailable);
  assert.equal(isTokenUnavailable(new Error("something else")), false);
});

const SENTINEL = "sentinel-7f3a9c-SECRET-value";

test("a secret is masked before the message is cut: none of it is left where a long message is truncated", () => {
  for (const at of [380, 390, 395, 399, 400, 401]) {
    const err = new Error(`${"x".repeat(at)}${SENTINEL} and more text after it`);
    const detail = credentialDetail(err, [SENTINEL]);
    assert.ok(!detail.includes(SENTINEL.slice(0, 6)), `no prefix of the secret at offset ${at}: ${detail.slice(-40)}`);
  }
  // masked across a line break too: flattening comes after masking
  assert.equal(credentialDetail(new Error(`secret ${SENTINEL}\nnext line`), [SENTINEL]), "secret *** next line");
});

test("with default or managedIdentity auth the secrets the identity library reads from the environment are masked; so is the cause --verbose prints", async () => {
  const env = { AZURE_CLIENT_SECRET: SENTINEL, AZURE_CLIENT_CERTIFICATE_PASSWORD: `${SENTINEL}-pfx`, AZURE_CLIENT_ID: "c9" };
  assert.deepEqual(envSecrets(env), [SENTINEL, `${SENTINEL}-pfx`]);
  const inner = new AggregateAuthenticationError(
    [new CredentialUnavailableError(`EnvironmentCredential: secret ${SENTINEL} rejected`), msalError(`invalid_client: certificate password ${SENTINEL}-pfx wrong`)],
    `ChainedTokenCredential authentication failed: ${SENTINEL}`,
  );
  const cred = reportingCredential(failing(inner), "source.auth default (DefaultAzureCredential)", "default", envSecrets(env));
  const thrown = await cred.getToken("s/.default").then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(thrown instanceof SourceError);
  const printed = describeError(thrown, true); // --verbose: the stack and every cause
  assert.match(printed, /caused by: AggregateAuthenticationError: ChainedTokenCredential authentication failed: \*\*\*/);
  assert.ok(!printed.includes(SENTINEL.slice(0, 10)), printed);
  assert.ok(thrown.cause instanceof AggregateAuthenticationError, "the cause keeps its class");
  assert.ok(!JSON.stringify((thrown.cause as AggregateAuthenticationError).errors.map((e) => (e as Error).message)).includes(SENTINEL.slice(0, 10)), "the chain's errors are masked");
  assert.notEqual(thrown.cause, inner, "the original, quoting the secret, is not kept");
});
