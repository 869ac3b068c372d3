import type { GatewaySettings } from '../config/settings.js';

/** Every htpasswd file a configuration uses, so they are all read at start-up. */
export function userFilesOf(settings: GatewaySettings): Set<string> {
  const files = new Set<string>();
  for (const server of settings.servers) {
    for (const access of [server.access, ...server.locations.map((l) => l.access)]) {
      if (access.basicAuth) files.add(access.basicAuth.userFile);
      if (access.limitExcept?.basicAuth) files.add(access.limitExcept.basicAuth.userFile);
    }
  }
  return files;
}
