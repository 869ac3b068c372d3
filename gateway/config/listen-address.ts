import { defaults } from './settings.js';

/**
 * nginx `listen` and `server` addresses: `8080`, `127.0.0.1:8080`, `*:8080`, `[::1]:8080`, `localhost`, `127.0.0.1`.
 * A missing port is 80 (nginx's default for both). `unix:` sockets are not supported by the gateway.
 */
export interface HostPort {
  host: string;
  port: number;
}

export function parseAddress(text: string, options: { allowBarePort: boolean }): HostPort | string {
  if (text.startsWith('unix:')) return `unix sockets are not supported ("${text}")`;
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (options.allowBarePort && /^\d+$/.test(text)) {
    host = defaults.listen.host;
    portText = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon !== -1 && text.indexOf(':') !== colon) return `invalid address "${text}" (write IPv6 addresses in brackets)`;
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (host === '*') host = defaults.listen.host;
  if (host === '' || /[\s/]/.test(host)) return `invalid host in "${text}"`;
  if (portText === undefined) return { host, port: 80 };
  if (!/^\d{1,5}$/.test(portText)) return `invalid port in "${text}"`;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `invalid port in "${text}"`;
  return { host, port };
}
