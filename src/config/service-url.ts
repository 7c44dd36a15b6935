/**
 * Checks of a URL that monitorlift sends credentials or data to (the query endpoint, the token
 * audience, a storage account): https, or plain http to a loopback host only; no credentials,
 * query string or fragment in the URL. Used by the source rules and by sink config modules.
 */
import { isLoopbackHost } from "./loopback.ts";

export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Problems of a URL that monitorlift will send credentials or data to, pushed as "path: message". */
export function checkServiceUrl(path: string, text: string, what: string, errors: string[]): URL | undefined {
  const url = parseUrl(text);
  if (!url) {
    errors.push(`${path}: is not a valid URL`);
    return undefined;
  }
  if (url.username || url.password) {
    errors.push(`${path}: must not contain a user name or password — credentials in a URL end up in logs; configure authentication under "auth" instead`);
  }
  if (url.search || url.hash) {
    errors.push(`${path}: must not contain a query string or fragment ("?…", "#…") — a SAS token or key there would end up in logs`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:") {
    if (!isLoopbackHost(url.hostname)) {
      errors.push(
        `${path}: ${url.protocol}//${url.host} is plain http — the access token and the ${what} would cross the network unencrypted; use https (http is accepted only for loopback hosts such as a local simulator on 127.0.0.1)`,
      );
    }
    return url;
  }
  errors.push(`${path}: must be an https:// URL, not ${url.protocol}//`);
  return undefined;
}
