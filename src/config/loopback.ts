/** Which endpoints may be reached without TLS: only this machine (a local simulator or emulator). */
import { isIP } from "node:net";

/** True for localhost (and *.localhost), 127.0.0.0/8, ::1 and the IPv4-mapped ::ffff:127.x.y.z. */
export function isLoopbackHost(hostname: string): boolean {
  let host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  if (isIP(host) === 6) {
    if (host === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(host) || host === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return mapped[1]!.split(".")[0] === "127";
    // WHATWG URL prints mapped addresses in hex: ::ffff:7f00:1
    const hex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
    if (hex) return parseInt(hex[1]!, 16) >> 8 === 127;
  }
  return false;
}

/** True when `url` parses and its host is a loopback host. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}
