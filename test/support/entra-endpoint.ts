/**
 * A stand-in for Microsoft Entra ID and the query API on 127.0.0.1 over HTTPS (a throw-away
 * certificate the client trusts through NODE_EXTRA_CA_CERTS): the OpenID configuration, a token
 * endpoint that refuses the client (401 invalid_client, as for a wrong or expired secret; or 400
 * invalid_client), grants a token, or is unavailable (503, as Entra ID during an outage), and a query endpoint that refuses every token with 403 InsufficientAccessError (as while the
 * Log Analytics Reader role is missing). Every request is counted by kind. Loopback only.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EntraEndpoint {
  /** https://127.0.0.1:PORT — the authorityHost, and with /v1 the query endpoint. */
  origin: string;
  /** The CA file a client must trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** Requests seen, by kind: "openid", "token", "query", "other". */
  counts: Record<string, number>;
  /** Every request body the token endpoint received (to check what was sent, e.g. the client ID). */
  tokenBodies: string[];
  close(): Promise<void>;
}

/** How the token endpoint answers: "refuse" 401 invalid_client, "invalid" 400 invalid_client, "grant" a token, "unavailable" 503. */
export type TokenAnswer = "refuse" | "invalid" | "grant" | "unavailable";

export async function startEntraEndpoint(options: { token: TokenAnswer }): Promise<EntraEndpoint> {
  const dir = mkdtempSync(join(tmpdir(), "monitorlift-entra-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const counts: Record<string, number> = {};
  const tokenBodies: string[] = [];
  const count = (kind: string) => (counts[kind] = (counts[kind] ?? 0) + 1);
  let origin = "";
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const url = req.url ?? "";
      const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      const tenant = url.split("/")[1] ?? "";
      if (url.includes("/.well-known/openid-configuration")) {
        count("openid");
        const base = `${origin}/${tenant}`;
        return json(200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
        });
      }
      if (url.includes("/oauth2/v2.0/token")) {
        count("token");
        tokenBodies.push(body);
        if (options.token === "grant") return json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: "test-access-token" });
        if (options.token === "unavailable") return json(503, { error: "temporarily_unavailable", error_description: "AADSTS90033: A transient error has occurred. Please try again." });
        return json(options.token === "invalid" ? 400 : 401, {
          error: "invalid_client",
          error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
          error_codes: [7000215],
        });
      }
      if (url.includes("/query")) {
        count("query");
        return json(403, {
          error: {
            code: "InsufficientAccessError",
            message: "The provided credentials have insufficient access to perform the requested operation",
            innererror: { code: "InsufficientAccessError", message: "The user does not have access to the workspace." },
          },
        });
      }
      count("other");
      json(404, { error: { code: "NotFound", message: url } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    origin,
    caFile: cert,
    counts,
    tokenBodies,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
