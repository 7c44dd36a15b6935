/** Rules about where the exporter may send a workspace query (and with what credentials). */
import { isLoopbackHost } from "../config/loopback.ts";
import { SourceError } from "../errors.ts";

/**
 * A plain-http endpoint is allowed only on a loopback address (the local simulator), and
 * `auth: none` only there too: a token or query must never cross a network unencrypted.
 */
export function checkEndpoint(endpoint: string, authMethod: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new SourceError("SOURCE_INSECURE_ENDPOINT", `source.endpoint '${endpoint}' is not a URL.`, { cause });
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === "http:" && !loopback) {
    throw new SourceError(
      "SOURCE_INSECURE_ENDPOINT",
      `source.endpoint '${url.origin}' uses plain http on a non-loopback host; queries and tokens would cross the network unencrypted.`,
      { hint: "Use https://api.loganalytics.azure.com/v1 (or your cloud's endpoint); plain http is only for the local simulator on 127.0.0.1." },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SourceError("SOURCE_INSECURE_ENDPOINT", `source.endpoint '${url.origin}' must be an http(s) URL.`);
  }
  if (authMethod === "none" && !loopback) {
    throw new SourceError(
      "SOURCE_INSECURE_ENDPOINT",
      `source.auth.method "none" is only accepted for a loopback endpoint (the local simulator), not '${url.origin}'.`,
      { hint: 'Use auth.method "default", "clientSecret" or "managedIdentity" for Azure.' },
    );
  }
  if (authMethod !== "none" && url.protocol === "http:") {
    throw new SourceError(
      "SOURCE_INSECURE_ENDPOINT",
      `source.auth.method "${authMethod}" sends an access token, which the Azure client refuses to send over plain http ('${url.origin}').`,
      { hint: 'Use an https endpoint, or auth.method "none" for the local simulator.' },
    );
  }
  return url;
}
